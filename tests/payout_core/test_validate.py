"""validate(): every violation at once, from real cases; never raises; account numbers only masked."""

from __future__ import annotations

import importlib
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payout_core import Recipient, Violation, channel, validate
from payout_core.channels import channel_names
from payout_core.validation.banks import bank_by_code
from payout_core.validation.normalize import normalize_recipient
from tests.payout_core.builders import branch_company as corporate
from tests.payout_core.builders import company, run_threads
from tests.payout_core.builders import payee as person

ICBC_CARD = "6222021234567890128"
ICBC_MASKED = "622202*********0128"
ID_NO = "11010519491231002X"  # GB 11643-1999's own example number


def codes(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.field, v.code) for v in violations]


@pytest.mark.parametrize("name", channel_names())
def test_a_plain_personal_payee_is_clean_everywhere(name: str) -> None:
    assert validate(person(), channel(name)) == []


@pytest.mark.parametrize("name", channel_names())
def test_look_alike_dots_become_the_registered_middle_dot(name: str) -> None:
    [v] = validate(person(name="买买提•艾力"), channel(name))
    assert (v.field, v.code, v.suggestion) == ("name", "not_normalized", "买买提·艾力")


def test_latin_names_are_names() -> None:
    for name in channel_names():
        assert validate(person(name="ZHANG SAN"), channel(name)) == [], name


@pytest.mark.parametrize("name", ["alipay_bankcard", "baofoo", "lianlian", "allinpay", "generic"])
def test_company_brackets_stay_as_registered(name: str) -> None:
    for company_name in ("（深圳）科技有限公司", "(深圳)科技有限公司"):
        assert validate(corporate(name=company_name), channel(name)) == [], company_name


def test_a_personal_only_channel_refuses_companies() -> None:
    assert codes(validate(corporate(), channel("wechat_bank"))) == [("account_type", "account_type")]


def test_gbk_name_over_the_limit() -> None:
    seventy = "深圳市" + "前海" * 37 + "科技有限公司"
    [v] = validate(corporate(name=seventy), channel("generic"))
    assert (v.field, v.code) == ("name", "too_long")
    assert f"{len(seventy.encode('gbk'))} GBK bytes" in v.message


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


def test_lianlian_corporate_needs_the_bank_code() -> None:
    lianlian = channel("lianlian")
    assert validate(company(purpose="货款"), lianlian) == []
    assert codes(validate(company(purpose="货款", bank_code=None), lianlian)) == [("bank_code", "required")]


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
        ("bank_code", "bank_unknown"),
        ("cnaps_code", "format"),
    ]
    assert codes(validate(msgspec.structs.replace(r, account_type="personal"), channel("wechat_bank"))) == [
        ("account_no", "format"),
        ("amount", "amount_range"),
        ("name", "character"),
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


def test_bank_fields_that_disagree() -> None:
    [v] = validate(person(bank_name="中国建设银行"), channel("alipay_bankcard"), bin_check=False)
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


def test_the_card_bin_is_checked_without_a_resolver_of_ones_own() -> None:
    """Issue 17: an ICBC card labelled 中国建设银行 / CCB was clean under validate; a file checked so pays astray."""
    labelled = person(bank_name="中国建设银行", bank_code="CCB")
    violations = validate(labelled, channel("alipay_bankcard"))
    assert codes(violations) == [("bank_name", "bank_mismatch"), ("bank_code", "bank_mismatch")]
    assert [v.suggestion for v in violations] == ["中国工商银行", "ICBC"]
    assert ICBC_MASKED in violations[0].message and ICBC_CARD not in violations[0].message
    assert validate(labelled, channel("alipay_bankcard"), bin_check=False) == []  # off only when asked
    assert codes(validate(person(account_no="6222021234567890"), channel("alipay_bankcard"))) == [
        ("account_no", "format")  # 16 digits on a BIN of 19-digit cards
    ]
    credit = person(account_no="3563901234567890", bank_name="中信银行", bank_code="CITIC")
    assert codes(validate(credit, channel("generic"))) == [("account_no", "card_type")]


def test_a_given_resolver_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("payout_core.validation.validate")  # the package exports the function

    def no_default() -> None:
        raise AssertionError("the default resolver must not be opened when one is given")

    bundled = module.default_resolver()
    monkeypatch.setattr(module, "default_resolver", no_default)
    with pytest.raises(AssertionError, match="must not be opened"):
        validate(person(), channel("wechat_bank"))  # the patch is where validate looks
    assert codes(validate(person(bank_code="CCB", bank_name=None), channel("wechat_bank"), bundled)) == [
        ("bank_code", "bank_mismatch")
    ]


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


# 身份证 and mobile numbers as payout files carry them: spaced, dashed, legacy 15-digit, wrong, in other fields.
_PERSONAL = st.sampled_from(
    [ID_NO, "110105 19491231 002x", "110105491231002", "110105194912310021", "+86 138-0013-8000", "23800138000"]
)
_ANY_TEXT = (
    st.text(max_size=30) | _PERSONAL | st.sampled_from(["", " ", ICBC_CARD, "买买提•艾力", "（深圳）", "102100099996"])
)
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


_TEXT = (
    st.text(max_size=30)
    | _PERSONAL
    | st.sampled_from(["  6222 0212 3456 7890 128 ", "１０２１００００００２１", "icbc", "¨"])
)
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
            # the bank fields alone: the ICBC card of person() would contradict them (checked elsewhere)
            assert validate(person(bank_code=code, bank_name=name), generic, bin_check=False) == [], (code, name)
    assert generic.supports_bank("BEAHK") and generic.bank_code_for(bank_by_code("BEAHK")) == "HKBEA"  # type: ignore[arg-type]
    [v] = validate(person(bank_code="BEAHK", bank_name="中国建设银行"), generic, bin_check=False)
    assert (v.field, v.code, v.suggestion) == ("bank_code", "bank_mismatch", "CCB")


_SPACED_IDS = st.sampled_from(["110105 19491231 002X", "110105-1949-1231-002X", "1101 0519 4912 3100 2X"])


@settings(max_examples=300, deadline=None)
@given(
    spaced=_SPACED_IDS,
    fields=st.sets(st.sampled_from(["name", "bank_name", "branch_name", "province", "id_no", "purpose", "mobile"])),
    channel_name=st.sampled_from(channel_names()),
    account_type=st.sampled_from(["personal", "corporate", "110105 19491231 002X"]),
)
def test_a_spaced_id_number_never_appears_in_any_message(
    spaced: str, fields: set[str], channel_name: str, account_type: str
) -> None:
    """Issue 17: an ID written with spaces or dashes appeared in full in not_normalized messages and suggestions."""
    r = person(account_type=account_type, **{f: f" {spaced} " for f in fields})
    text = msgspec.json.encode(validate(r, channel(channel_name))).decode()
    assert ID_NO not in text
    assert ID_NO[:-1] not in text
    assert spaced not in text


def test_threads_validating_at_once_share_one_default_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight routing threads validating their first recipients together open cardbin's release once."""
    from cardbin.resolve import Resolver

    card = importlib.import_module("payout_core.validation.card")
    monkeypatch.setattr(card, "_opened", [])
    opened: list[object] = []
    real_open = Resolver.open

    def counting_open(*args: Any, **kwargs: Any) -> Resolver:
        resolver = real_open(*args, **kwargs)
        opened.append(resolver)
        return resolver

    monkeypatch.setattr(Resolver, "open", counting_open)
    labelled = person(bank_code="CCB", bank_name=None)  # an ICBC card: only its BIN can tell
    results, errors = run_threads(8, lambda _i: validate(labelled, channel("wechat_bank")))
    assert errors == []
    assert len(opened) == 1
    assert all(codes(r) == [("bank_code", "bank_mismatch")] for r in results)
