"""Name normalisation and checks, table-driven from real cases, plus the idempotency property.

Normalisation only changes how a name is written, never which name it is: dots, brackets and Latin punctuation
of a registered name stay (issue 17: allinpay stripped 买买提·艾力's dot, baofoo rewrote （） to (), Alipay
refused MARY-JANE O'NEIL, generic refused 3M中国有限公司 — none of it had a source).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payout_core.channels import channel_names, load_all
from payout_core.names import NameRules
from payout_core.names.chars import PLAIN_NAME
from payout_core.names.check import _problems_by_class, name_problems
from payout_core.names.normalize import _rewritten, normalize_name

PERSON = NameRules(max_length=30)
COMPANY = NameRules(min_length=4, max_length=60, digits=True, extra_chars="&")
GBK60 = NameRules(min_length=4, max_length=60, digits=True, length_unit="gbk_bytes")
PERSON_GBK = NameRules(max_length=60, length_unit="gbk_bytes")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("买买提•艾力", "买买提·艾力"),  # U+2022 bullet
        ("买买提・艾力", "买买提·艾力"),  # U+30FB katakana middle dot
        ("买买提．艾力", "买买提·艾力"),  # U+FF0E full-width full stop
        ("买买提.艾力", "买买提·艾力"),  # ASCII full stop inside a Chinese name
        ("买买提\u0387艾力", "买买提·艾力"),  # Greek ano teleia
        ("买买提\u2027艾力", "买买提·艾力"),  # hyphenation point
        ("买买提 • 艾力", "买买提·艾力"),  # spaces around the dot
        ("买买提••艾力", "买买提·艾力"),  # a doubled dot
        ("买买提·艾力", "买买提·艾力"),  # the registered form stays as it is
        (" 张　三 ", "张三"),  # ideographic space U+3000
        ("张\u200b三", "张三"),  # zero-width space from copy-paste
        ("\u202e张三\u202c", "张三"),  # bidi override marks pasted from a web page
        ("ZHANG\u200f SAN", "ZHANG SAN"),  # a right-to-left mark
        ("  ZHANG   SAN ", "ZHANG SAN"),
        ("ＺＨＡＮＧ　ＳＡＮ", "ZHANG SAN"),  # full-width letters and space
        ("J. SMITH", "J. SMITH"),  # a full stop in a Latin name stays a full stop
        ("MARY-JANE O'NEIL", "MARY-JANE O'NEIL"),
        ("(深圳)科技有限公司", "(深圳)科技有限公司"),  # brackets keep the width they were written in
        ("（深圳）科技有限公司", "（深圳）科技有限公司"),
        ("ABC（中国）有限公司", "ABC（中国）有限公司"),
        ("５８同城", "58同城"),
        ("3M中国有限公司", "3M中国有限公司"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("name", "rules", "codes"),
    [
        ("买买提·艾力", PERSON, []),
        ("·艾力", PERSON, ["middle_dot"]),  # a dot must stand between two parts
        ("艾力·", PERSON, ["middle_dot"]),
        ("ZHANG SAN", PERSON, []),
        ("MARY-JANE O'NEIL", PERSON, []),  # issue 17: Alipay refused - ' . in foreign names without a source
        ("MARY-JANE O\u2019NEIL", PERSON, []),
        ("J. SMITH", PERSON, []),
        ("张三", PERSON, []),
        ("张", PERSON, ["too_short"]),
        ("张", PERSON_GBK, ["too_short"]),  # issue 17: one character is 2 GBK bytes, still one character
        ("", PERSON, ["required"]),
        ("张三😀", PERSON, ["character"]),
        ("张三1", PERSON, ["character"]),  # digits are for company names only
        ("张-三", PERSON, ["character"]),  # Latin punctuation belongs to Latin names
        ("（深圳）科技有限公司", COMPANY, []),
        ("(深圳)科技有限公司", COMPANY, []),
        ("3M中国有限公司", COMPANY, []),  # issue 17: generic refused Latin letters in company names
        ("ABC（中国）有限公司", COMPANY, []),
        ("P&G中国有限公司", COMPANY, []),
        ("（深圳科技有限公司", COMPANY, ["bracket"]),  # unbalanced
        ("深圳市" + "前海" * 13 + "科技有限公司", GBK60, ["too_long"]),  # 35 characters = 70 GBK bytes
        ("深圳" + "前海" * 11 + "科技有限公司", GBK60, []),  # 30 characters = 60 GBK bytes: at the limit
        ("张𠀀", PERSON_GBK, ["charset"]),  # U+20000 is not in GBK
        ("张𠀀", PERSON, []),  # a channel that does not store GBK takes it
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
    assert name_problems(seventy, NameRules(min_length=4, max_length=60, digits=True)) == []


# Text heavy in the characters the rules care about, plus anything else Unicode has.
_NAME_ALPHABET = st.sampled_from(
    list("张三买提艾力ZHANGsan58 \u3000\t.．•・·\u0387\u2027()（）\u200bＡ１\u0301¨𠀀-'&")
) | st.characters(codec="utf-8")
NAMES = st.text(_NAME_ALPHABET, max_size=40)
ALL_RULES = [
    rules
    for profile in load_all().values()
    for rules in (profile.personal_name, profile.corporate_name)
    if rules is not None
]


@settings(max_examples=300, deadline=None)
@given(name=NAMES)
def test_normalisation_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once


@settings(max_examples=200, deadline=None)
@given(name=NAMES, rules=st.sampled_from(ALL_RULES))
def test_checks_never_raise(name: str, rules: NameRules) -> None:
    for problem in name_problems(normalize_name(name), rules):
        assert problem.message


def test_every_shipped_profile_has_name_rules_for_each_account_type_it_pays() -> None:
    for name, profile in load_all().items():
        for kind in profile.account_types:
            assert profile.name_rules(kind) is not None, (name, kind)
    assert set(load_all()) == set(channel_names())


# Plain names as registered (张三, 买买提·艾力) and near misses: rare ideographs outside GBK, compatibility
# ideographs, dots doubled or at either end, anything else.
_PLAIN_PARTS = st.text(st.sampled_from(list("张三买提艾力〇\U00020000\U0002a6d6\u9fa6\uf900")), min_size=1, max_size=8)
PLAIN_OR_NEARLY = st.lists(_PLAIN_PARTS, min_size=1, max_size=4).map("·".join) | st.builds(
    lambda a, b: a + b, _PLAIN_PARTS, st.sampled_from(["·", "··", " ", "", "1", "•"])
)


@settings(max_examples=500, deadline=None)
@given(name=PLAIN_OR_NEARLY | NAMES, rules=st.sampled_from([*ALL_RULES, PERSON, PERSON_GBK, GBK60]))
def test_the_plain_name_shortcut_agrees_with_every_rule(name: str, rules: NameRules) -> None:
    """Issue 17's fast path: a name of plain ideographs (with middle dots between parts) is neither rewritten nor
    checked character by character; the full checks find exactly what it finds."""
    if PLAIN_NAME.fullmatch(name):
        assert _rewritten(name) == name
        assert name_problems(name, rules) == _problems_by_class(name, rules)
