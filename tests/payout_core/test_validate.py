"""validate(): every violation at once, from real cases; never raises; account numbers only masked."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payout_core import Recipient, Violation, channel, validate
from payout_core.channels import channel_names
from payout_core.validation.banks import bank_by_code
from payout_core.validation.normalize import normalize_recipient
from tests.payout_core.builders import company

ICBC_CARD = "6222021234567890128"
ICBC_MASKED = "622202*********0128"


def person(**kw: Any) -> Recipient:
    fields: dict[str, Any] = {
        "name": "张三",
        "account_no": ICBC_CARD,
        "account_type": "personal",
        "amount": 10_000,
        "bank_name": "中国工商银行",
        "bank_code": "ICBC",
    }
    fields.update(kw)
    return Recipient(**fields)


def codes(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.field, v.code) for v in violations]


@pytest.mark.parametrize("name", ["wechat_bank", "alipay_bankcard", "lianlian", "baofoo", "allinpay", "generic"])
def test_a_plain_personal_payee_is_clean_everywhere(name: str) -> None:
    assert validate(person(), channel(name)) == []


@pytest.mark.parametrize(
    ("channel_name", "expected"),
    [
        ("wechat_bank", [("name", "not_normalized")]),
        ("alipay_bankcard", [("name", "not_normalized")]),
        ("lianlian", [("name", "not_normalized")]),
        ("allinpay", [("name", "not_normalized")]),  # stripped
        ("generic", [("name", "middle_dot")]),
    ],
)
def test_minority_name_dot(channel_name: str, expected: list[tuple[str, str]]) -> None:
    violations = validate(person(name="买买提•艾力"), channel(channel_name))
    assert codes(violations) == expected


def test_minority_name_suggestion_per_channel() -> None:
    [wechat] = validate(person(name="买买提•艾力"), channel("wechat_bank"))
    assert wechat.suggestion == "买买提·艾力"
    [allinpay] = validate(person(name="买买提•艾力"), channel("allinpay"))
    assert allinpay.suggestion == "买买提艾力"
    [generic] = validate(person(name="买买提•艾力"), channel("generic"))
    assert generic.suggestion is None
    assert "U+2022" in generic.message
    assert validate(person(name="买买提·艾力"), channel("wechat_bank")) == []


def test_latin_name_rejected_by_chinese_only_channel() -> None:
    assert ("name", "script") in codes(validate(person(name="ZHANG SAN"), channel("wechat_bank")))
    assert validate(person(name="ZHANG SAN"), channel("alipay_bankcard")) == []


@pytest.mark.parametrize(
    ("channel_name", "expected"),
    [
        ("alipay_bankcard", []),  # full-width brackets are its form
        ("baofoo", [("name", "not_normalized")]),  # wants half-width
        ("wechat_bank", [("account_type", "account_type"), ("name", "bracket")]),  # pays individuals only
    ],
)
def test_fullwidth_brackets_per_profile(channel_name: str, expected: list[tuple[str, str]]) -> None:
    r = company(
        province="北京市", city="北京市", branch_name="中国工商银行股份有限公司北京新华支行", cnaps_code="102100000021"
    )
    assert codes(validate(r, channel(channel_name))) == expected


def test_baofoo_suggests_halfwidth_brackets() -> None:
    r = company(province="北京市", city="北京市", branch_name="中国工商银行股份有限公司北京新华支行")
    [v] = validate(r, channel("baofoo"))
    assert v.suggestion == "(深圳)科技有限公司"


def test_gbk_name_over_60_bytes() -> None:
    seventy = "深圳市" + "前海" * 13 + "科技有限公司"
    r = company(
        name=seventy,
        province="北京市",
        city="北京市",
        branch_name="中国工商银行股份有限公司北京新华支行",
        cnaps_code="102100000021",
    )
    [v] = validate(r, channel("generic"))
    assert (v.field, v.code) == ("name", "too_long")
    assert "70 GBK bytes" in v.message


def test_alipay_corporate_needs_branch_or_cnaps() -> None:
    violations = validate(company(), channel("alipay_bankcard"))
    assert codes(violations) == [("cnaps_code", "required")]
    assert "province + city + branch_name" in violations[0].message
    with_branch = company(province="北京市", city="北京市", branch_name="中国工商银行股份有限公司北京新华支行")
    assert validate(with_branch, channel("alipay_bankcard")) == []
    assert validate(company(cnaps_code="102100000021"), channel("alipay_bankcard")) == []
    half = company(province="北京市", branch_name="中国工商银行股份有限公司北京新华支行")
    [v] = validate(half, channel("alipay_bankcard"))
    assert (v.field, v.code) == ("city", "required")  # the closest alternative is named
    assert "or give cnaps_code instead" in v.message


def test_lianlian_corporate_alternatives() -> None:
    lianlian = channel("lianlian")
    assert validate(company(cnaps_code="102100000021"), lianlian) == []
    assert validate(company(branch_name="中国工商银行股份有限公司北京新华支行", city="北京市"), lianlian) == []
    assert codes(validate(company(bank_code=None, cnaps_code="102100000021"), lianlian)) == [("bank_code", "required")]


def test_every_violation_at_once() -> None:
    r = Recipient(
        name="ZHANG SAN😀",
        account_no="62220212345X",
        account_type="corporate",
        amount=0,
        bank_code="NOSUCHBANK",
        cnaps_code="102100099990",
    )
    got = codes(validate(r, channel("wechat_bank")))
    assert got == [
        ("account_type", "account_type"),
        ("account_no", "format"),
        ("amount", "amount_range"),
        ("name", "script"),
        ("name", "character"),
        ("name", "space"),
        ("bank_code", "bank_unknown"),
        ("cnaps_code", "format"),
    ]


def test_amount_limits() -> None:
    wechat = channel("wechat_bank")
    assert validate(person(amount=2_000_000), wechat) == []
    [v] = validate(person(amount=2_000_001), wechat)
    assert (v.field, v.code) == ("amount", "amount_range")
    assert "per-payout maximum 2000000" in v.message
    assert codes(validate(person(amount=0), wechat)) == [("amount", "amount_range")]
    alipay = channel("alipay_bankcard")
    assert validate(company(amount=8_000_000, cnaps_code="102100000021"), alipay) == []
    assert codes(validate(person(amount=8_000_000), alipay)) == [("amount", "amount_range")]


def test_bank_fields_that_disagree() -> None:
    [v] = validate(person(bank_name="中国建设银行"), channel("alipay_bankcard"))
    assert (v.field, v.code, v.suggestion) == ("bank_code", "bank_mismatch", "CCB")
    [v] = validate(person(cnaps_code="105100000017"), channel("alipay_bankcard"))
    assert (v.field, v.code) == ("cnaps_code", "bank_mismatch")


def test_bank_the_channel_cannot_pay() -> None:
    r = person(bank_name="深圳前海微众银行", bank_code="WEBANK", account_no="6236331234567890123")
    assert codes(validate(r, channel("wechat_bank"))) == [("bank_code", "bank_unsupported")]
    assert validate(r, channel("alipay_bankcard")) == []


def test_missing_fields_hint_at_prepare() -> None:
    [v] = validate(person(bank_name=None, bank_code=None), channel("wechat_bank"))
    assert (v.field, v.code) == ("bank_code", "required")
    assert "prepare fills it" in v.message


def test_account_number_is_masked_everywhere() -> None:
    typed = "6222 0212 3456 7890 128"
    violations = validate(person(account_no=typed, name="Z"), channel("wechat_bank"))
    assert ("account_no", "not_normalized") in codes(violations)
    text = msgspec.json.encode(violations).decode()
    assert ICBC_CARD not in text
    assert typed not in text
    assert ICBC_MASKED in text


def test_fullwidth_account_digits_normalise() -> None:
    [v] = validate(person(account_no="６２２２０２１２３４５６７８９０１２８"), channel("wechat_bank"))
    assert (v.field, v.code, v.suggestion) == ("account_no", "not_normalized", ICBC_MASKED)


def test_wrong_types_are_violations_not_exceptions() -> None:
    r = Recipient(name=42, account_no=None, account_type="household", amount="100", bank_code=7)  # type: ignore[arg-type]
    got = codes(validate(r, channel("generic")))
    assert ("name", "format") in got
    assert ("account_no", "format") in got
    assert ("amount", "format") in got
    assert ("bank_code", "format") in got
    assert ("account_type", "account_type") in got


def _recipients(text: st.SearchStrategy[str], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Recipient]:
    """Recipients whose name, account number and optional fields (or None) are drawn from `text`, unless given."""
    optional = st.none() | text
    drawn = {f: optional for f in Recipient.__struct_fields__} | {"name": text, "account_no": text}
    return st.builds(Recipient, **(drawn | fields))


_ANY_TEXT = st.text(max_size=30) | st.sampled_from(["", " ", ICBC_CARD, "买买提•艾力", "（深圳）", "102100099996"])
_RECIPIENTS = _recipients(
    _ANY_TEXT,
    account_type=st.sampled_from(["personal", "corporate", "", "其他"]),
    amount=st.integers() | st.none() | st.text(max_size=3),
    bank_code=st.none() | _ANY_TEXT | st.sampled_from(["ICBC", "icbc", "WEBANK"]),
)


@settings(max_examples=300, deadline=None)
@given(recipient=_RECIPIENTS, channel_name=st.sampled_from(channel_names()))
def test_validate_never_raises(recipient: Recipient, channel_name: str) -> None:
    violations = validate(recipient, channel(channel_name))
    for v in violations:
        assert isinstance(v, Violation)
        assert v.message
    digits = recipient.account_no if isinstance(recipient.account_no, str) else ""
    others = [getattr(recipient, f) for f in Recipient.__struct_fields__ if f != "account_no"]
    if len(digits) >= 12 and digits.isdigit() and not any(isinstance(o, str) and digits in o for o in others):
        assert all(digits not in v.message and digits != v.suggestion for v in violations)


def test_a_card_number_typed_into_another_field_is_masked() -> None:
    r = person(bank_code=ICBC_CARD, cnaps_code=ICBC_CARD, province=f" {ICBC_CARD} ", account_type=ICBC_CARD)
    violations = validate(r, channel("alipay_bankcard"))
    assert {(v.field, v.code) for v in violations} >= {
        ("bank_code", "bank_unknown"),
        ("cnaps_code", "format"),
        ("province", "not_normalized"),
        ("account_type", "account_type"),
    }
    text = msgspec.json.encode(violations).decode()
    assert ICBC_CARD not in text
    assert ICBC_MASKED in text


_TEXT = st.text(max_size=30) | st.sampled_from(["  6222 0212 3456 7890 128 ", "１０２１００００００２１", "icbc", "¨"])
_WELL_TYPED = _recipients(_TEXT, account_type=st.sampled_from(["personal", "corporate"]), amount=st.integers())


@settings(max_examples=300, deadline=None)
@given(recipient=_WELL_TYPED, channel_name=st.sampled_from(channel_names()))
def test_recipient_normalisation_is_idempotent(recipient: Recipient, channel_name: str) -> None:
    profile = channel(channel_name)
    once = normalize_recipient(recipient, profile)
    assert normalize_recipient(once, profile) == once
    assert all(v.code != "not_normalized" for v in validate(once, profile))


def test_every_code_in_use_for_a_bank_is_accepted_as_that_bank() -> None:
    """BEAHK and HKBEA are one bank (东亚银行) in cardbin's directory: either code, either name, no mismatch."""
    generic = channel("generic")
    for code in ("HKBEA", "BEAHK"):
        for name in ("东亚银行", "东亚银行有限公司"):
            assert validate(person(bank_code=code, bank_name=name), generic) == [], (code, name)
    assert generic.supports_bank("BEAHK") and generic.bank_code_for(bank_by_code("BEAHK")) == "HKBEA"  # type: ignore[arg-type]
    [v] = validate(person(bank_code="BEAHK", bank_name="中国建设银行"), generic)
    assert (v.field, v.code, v.suggestion) == ("bank_code", "bank_mismatch", "CCB")
