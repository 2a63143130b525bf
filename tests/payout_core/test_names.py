"""Name normalisation and checks, table-driven from real cases, plus the idempotency property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payout_core.channels import channel_names, load_all
from payout_core.names import NameRules
from payout_core.names.check import name_problems
from payout_core.names.normalize import normalize_name

CHINESE = NameRules(scripts=("cjk",), middle_dot="normalize", spaces="strip")
LATIN_OK = NameRules(scripts=("cjk", "latin"), middle_dot="normalize", spaces="collapse")
STRIP_DOTS = NameRules(scripts=("cjk",), middle_dot="strip", spaces="strip")
NO_DOTS = NameRules(scripts=("cjk",), middle_dot="reject", spaces="strip")
COMPANY_FULL = NameRules(scripts=("cjk",), brackets="fullwidth", digits=True, max_length=60)
COMPANY_HALF = NameRules(scripts=("cjk",), brackets="halfwidth", digits=True, max_length=60)
COMPANY_NO_BRACKETS = NameRules(scripts=("cjk",), brackets="reject", digits=True, max_length=60)
GBK60 = NameRules(scripts=("cjk",), digits=True, brackets="fullwidth", max_length=60, length_unit="gbk_bytes")


@pytest.mark.parametrize(
    ("raw", "rules", "expected"),
    [
        ("买买提•艾力", CHINESE, "买买提·艾力"),  # U+2022 bullet
        ("买买提・艾力", CHINESE, "买买提·艾力"),  # U+30FB katakana middle dot
        ("买买提．艾力", CHINESE, "买买提·艾力"),  # U+FF0E full-width full stop
        ("买买提.艾力", CHINESE, "买买提·艾力"),  # ASCII full stop inside a Chinese name
        ("买买提\u0387艾力", CHINESE, "买买提·艾力"),  # Greek ano teleia
        ("买买提\u2027艾力", CHINESE, "买买提·艾力"),  # hyphenation point
        ("买买提 • 艾力", CHINESE, "买买提·艾力"),  # spaces around the dot
        ("买买提••艾力", CHINESE, "买买提·艾力"),  # a doubled dot
        ("买买提•艾力", STRIP_DOTS, "买买提艾力"),
        ("买买提·艾力", STRIP_DOTS, "买买提艾力"),
        ("买买提•艾力", NO_DOTS, "买买提•艾力"),  # left for the check to refuse
        (" 张　三 ", CHINESE, "张三"),  # ideographic space U+3000
        ("张\u200b三", CHINESE, "张三"),  # zero-width space from copy-paste
        ("  ZHANG   SAN ", LATIN_OK, "ZHANG SAN"),
        ("ＺＨＡＮＧ　ＳＡＮ", LATIN_OK, "ZHANG SAN"),  # full-width letters and space
        ("J. SMITH", LATIN_OK, "J. SMITH"),  # a full stop in a Latin name stays a full stop
        ("(深圳)科技有限公司", COMPANY_FULL, "（深圳）科技有限公司"),
        ("（深圳）科技有限公司", COMPANY_FULL, "（深圳）科技有限公司"),
        ("（深圳）科技有限公司", COMPANY_HALF, "(深圳)科技有限公司"),
        ("（深圳）科技有限公司", COMPANY_NO_BRACKETS, "（深圳）科技有限公司"),
        ("５８同城", COMPANY_FULL, "58同城"),
    ],
)
def test_normalize(raw: str, rules: NameRules, expected: str) -> None:
    assert normalize_name(raw, rules) == expected


@pytest.mark.parametrize(
    ("name", "rules", "codes"),
    [
        ("买买提·艾力", CHINESE, []),
        ("买买提•艾力", NO_DOTS, ["middle_dot"]),
        ("买买提·艾力", NO_DOTS, ["middle_dot"]),
        ("·艾力", CHINESE, ["middle_dot"]),  # a dot must stand between two parts
        ("ZHANG SAN", CHINESE, ["script", "space"]),
        ("ZHANG SAN", LATIN_OK, []),
        ("张三", LATIN_OK, []),
        ("张", CHINESE, ["too_short"]),
        ("", CHINESE, ["required"]),
        ("张三😀", CHINESE, ["character"]),
        ("张三1", CHINESE, ["character"]),  # digits are for company names only
        ("（深圳）科技有限公司", COMPANY_FULL, []),
        ("（深圳）科技有限公司", COMPANY_NO_BRACKETS, ["bracket"]),
        ("（深圳科技有限公司", COMPANY_FULL, ["bracket"]),  # unbalanced
        ("深圳市" + "前海" * 13 + "科技有限公司", GBK60, ["too_long"]),  # 35 characters = 70 GBK bytes
        ("深圳" + "前海" * 11 + "科技有限公司", GBK60, []),  # 30 characters = 60 GBK bytes: at the limit
        ("张𠀀", GBK60, ["charset"]),  # U+20000 is not in GBK
    ],
)
def test_name_problems(name: str, rules: NameRules, codes: list[str]) -> None:
    assert [p.code for p in name_problems(name, rules)] == codes


def test_gbk_limit_counts_bytes_not_characters() -> None:
    seventy = "深圳市" + "前海" * 13 + "科技有限公司"
    assert len(seventy) == 35
    assert len(seventy.encode("gbk")) == 70
    [problem] = name_problems(seventy, GBK60)
    assert problem.code == "too_long"
    assert "70 GBK bytes" in problem.message
    assert "60" in problem.message
    as_chars = NameRules(scripts=("cjk",), max_length=60)
    assert name_problems(seventy, as_chars) == []


# Text heavy in the characters the rules care about, plus anything else Unicode has.
_NAME_ALPHABET = st.sampled_from(
    list("张三买提艾力ZHANGsan58 \u3000\t.．•・·\u0387\u2027()（）\u200bＡ１\u0301¨𠀀-&")
) | st.characters(codec="utf-8")
NAMES = st.text(_NAME_ALPHABET, max_size=40)
ALL_RULES = [rules for profile in load_all().values() for rules in (profile.personal_name, profile.corporate_name)]


@settings(max_examples=300, deadline=None)
@given(name=NAMES, rules=st.sampled_from([*ALL_RULES, CHINESE, LATIN_OK, STRIP_DOTS, NO_DOTS, COMPANY_HALF]))
def test_normalisation_is_idempotent(name: str, rules: NameRules) -> None:
    once = normalize_name(name, rules)
    assert normalize_name(once, rules) == once


@settings(max_examples=200, deadline=None)
@given(name=NAMES, rules=st.sampled_from(ALL_RULES))
def test_checks_never_raise(name: str, rules: NameRules) -> None:
    for problem in name_problems(normalize_name(name, rules), rules):
        assert problem.message


def test_every_shipped_profile_has_name_rules() -> None:
    assert len(ALL_RULES) == 2 * len(channel_names())
