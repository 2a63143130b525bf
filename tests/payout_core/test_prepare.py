"""prepare() against the real in-process cardbin Resolver on the bundled release."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardbin.resolve import Resolver
from payout_core import PrepareError, Recipient, channel, prepare, validate
from payout_core.channels import channel_names
from payout_core.validation import CardResolver, Prepared
from payout_core.validation.normalize import normalize_recipient
from tests.payout_core.builders import company

ICBC_CARD = "6222021234567890128"  # BIN 622202, 19 digits
CCB_CARD = "6217001234567890123"  # BIN 621700
CITIC_CREDIT = "3563901234567890"  # BIN 356390, credit
WEBANK_CARD = "6236331234567890123"
UNKNOWN_BIN = "2000001234567890"


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.open()


def person(**kw: Any) -> Recipient:
    fields: dict[str, Any] = {"name": "张三", "account_no": ICBC_CARD, "account_type": "personal", "amount": 10_000}
    fields.update(kw)
    return Recipient(**fields)


def refused(r: Recipient, channel_name: str, resolver: CardResolver) -> list[tuple[str, str]]:
    """The violations prepare refuses the recipient for; [] when it is prepared."""
    try:
        prepare(r, channel(channel_name), resolver)
    except PrepareError as exc:
        return [(v.field, v.code) for v in exc.violations]
    return []


def test_resolver_satisfies_the_protocol(resolver: Resolver) -> None:
    assert isinstance(resolver.lookup(ICBC_CARD).bank_code, str)
    use: CardResolver = resolver  # checked by mypy
    assert use is resolver


def test_fills_bank_fields_from_the_bin(resolver: Resolver) -> None:
    prepared = prepare(
        person(name="买买提•艾力", account_no="6222 0212 3456 7890 128"), channel("wechat_bank"), resolver
    )
    r = prepared.recipient
    assert r.name == "买买提·艾力"
    assert r.account_no == ICBC_CARD
    assert (r.bank_code, r.bank_name) == ("ICBC", "中国工商银行")
    assert r.cnaps_code == "102100099996"  # the head office: the release knows no branch for this BIN
    assert prepared.derived == ["bank_name", "bank_code", "branch_name", "cnaps_code"]
    assert prepared.channel_bank_code == "1002"  # WeChat's own code for ICBC
    assert prepared.card is not None and prepared.card.bin == "622202"


def test_channel_code_per_scheme(resolver: Resolver) -> None:
    assert prepare(person(purpose="劳务报酬"), channel("lianlian"), resolver).channel_bank_code == "01020000"
    assert prepare(person(), channel("alipay_bankcard"), resolver).channel_bank_code == "ICBC"


def test_never_overwrites_what_the_user_gave(resolver: Resolver) -> None:
    branch = "中国工商银行股份有限公司北京新华支行"
    given = person(bank_name="工商银行", branch_name=branch, cnaps_code="102100000021", province="北京市")
    prepared = prepare(given, channel("alipay_bankcard"), resolver)
    r = prepared.recipient
    assert (r.bank_name, r.branch_name, r.cnaps_code, r.province) == ("工商银行", branch, "102100000021", "北京市")
    assert r.city is None  # the user named a branch: nothing of the card's region is mixed into it
    assert prepared.derived == ["bank_code"]


def test_bin_contradicting_the_given_bank(resolver: Resolver) -> None:
    with pytest.raises(PrepareError) as info:
        prepare(person(bank_code="CCB"), channel("wechat_bank"), resolver)
    [v] = info.value.violations
    assert (v.field, v.code, v.suggestion) == ("bank_code", "bank_mismatch", "ICBC")
    assert "622202*********0128" in v.message
    assert ICBC_CARD not in str(info.value)
    assert refused(person(account_no=CCB_CARD, bank_name="中国工商银行"), "alipay_bankcard", resolver) == [
        ("bank_name", "bank_mismatch")
    ]


def test_alipay_corporate_with_neither_branch_nor_cnaps(resolver: Resolver) -> None:
    corp = company(bank_code=None)
    assert refused(corp, "alipay_bankcard", resolver) == [("cnaps_code", "required")]
    ok = prepare(msgspec.structs.replace(corp, cnaps_code="102100000021"), channel("alipay_bankcard"), resolver)
    assert ok.card is None  # a corporate account has no BIN: nothing is derived from a prefix match
    assert ok.derived == ["bank_code"]  # from the bank name, via cardbin's bank directory


def test_card_types_and_banks_the_channel_cannot_pay(resolver: Resolver) -> None:
    assert refused(person(account_no=CITIC_CREDIT), "generic", resolver) == [("account_no", "card_type")]
    assert prepare(person(account_no=CITIC_CREDIT), channel("alipay_bankcard"), resolver).recipient.bank_code == "CITIC"
    assert refused(person(account_no=WEBANK_CARD), "wechat_bank", resolver) == [("bank_code", "bank_unsupported")]


def test_card_length_other_than_its_bin(resolver: Resolver) -> None:
    [(field, code)] = refused(person(account_no="6222021234567890"), "alipay_bankcard", resolver)
    assert (field, code) == ("account_no", "format")


def test_unknown_bin_derives_nothing(resolver: Resolver) -> None:
    assert refused(person(account_no=UNKNOWN_BIN), "wechat_bank", resolver) == [("bank_code", "required")]
    prepared = prepare(person(account_no=UNKNOWN_BIN, bank_code="ICBC"), channel("wechat_bank"), resolver)
    assert prepared.card is None
    assert prepared.derived == ["bank_name"]


def test_all_violations_in_one_error(resolver: Resolver) -> None:
    got = refused(person(name="ZHANG SAN 3", amount=5_000_000, bank_code="CCB"), "wechat_bank", resolver)
    assert got == [
        ("amount", "amount_range"),
        ("name", "character"),
        ("bank_code", "bank_mismatch"),
    ]


def test_channel_codes_of_the_card_bank(resolver: Resolver) -> None:
    """Issue 17: 北京银行 is 4836 on WeChat (weixin4j-pay BankID.java, payment-spring-boot BankCode.java), not 1032;
    上海银行 1024 and 南京银行 1054 (payment-spring-boot BankCode.java) were refused as bank_unsupported."""
    for card, code in (("4213171234567890", "4836"), ("4386001234567890", "1024"), ("6212591234567890", "1054")):
        assert prepare(person(account_no=card), channel("wechat_bank"), resolver).channel_bank_code == code
    # Allinpay's BANK_CODE is the 4-digit institution code (0103 in the TLT 100002 demo): derived, never missing
    cmb = prepare(person(account_no="4026581234567890"), channel("allinpay"), resolver)
    assert (cmb.recipient.bank_code, cmb.channel_bank_code) == ("CMB", "0308")


def test_personal_numbers_in_the_channel_form(resolver: Resolver) -> None:
    r = person(id_no="110105491231002", mobile="+86 138-0013-8000", purpose=" 劳务报酬 ")
    prepared = prepare(r, channel("baofoo"), resolver)  # baofoo upgrades a 15-digit 身份证 (an assumption)
    assert (prepared.recipient.id_no, prepared.recipient.mobile) == ("11010519491231002X", "13800138000")
    assert prepared.recipient.purpose == "劳务报酬"
    assert refused(r, "generic", resolver) == []  # generic receives neither, so neither is checked
    bad = person(id_no="1101 0519 4912 3100 21", mobile="23800138000", purpose="劳务报酬")
    with pytest.raises(PrepareError) as info:
        prepare(bad, channel("baofoo"), resolver)
    assert [(v.field, v.code) for v in info.value.violations] == [("id_no", "format"), ("mobile", "format")]
    assert "110105194912310021" not in str(info.value) and "23800138000" not in str(info.value)


def test_prepare_error_text_masks_numbers_in_any_spelling(resolver: Resolver) -> None:
    """Issue 17: PrepareError's text showed a card number written with spaces or dashes in full."""
    spaced = "6222-0212-3456-7890-128"
    with pytest.raises(PrepareError) as info:
        prepare(person(bank_name=f"中国建设银行 {spaced}", province=spaced), channel("alipay_bankcard"), resolver)
    text = str(info.value)
    assert "bank_mismatch" in [v.code for v in info.value.violations]
    assert spaced not in text and ICBC_CARD not in text
    assert "622202*********0128" in text


def test_wrongly_typed_input_is_refused(resolver: Resolver) -> None:
    assert refused(person(account_no=None), "generic", resolver) == [("account_no", "format")]


_BIN_CARDS = st.sampled_from(["622202", "621700", "622588", "622848", "356390", "623633", "200000", "888888"])
_NAME_CHARS = st.sampled_from(list("张三买提艾力王小明ZHANGsan •·.（）() \u3000５"))


@st.composite
def recipients(draw: st.DrawFn) -> Recipient:
    account_type = draw(st.sampled_from(["personal", "corporate"]))
    digits = draw(st.text(st.sampled_from("0123456789"), min_size=10, max_size=13))

    def optional(values: list[str]) -> st.SearchStrategy[str | None]:
        return st.none() | st.sampled_from(values)

    return Recipient(
        name=draw(st.text(_NAME_CHARS, min_size=1, max_size=12)),
        account_no=draw(_BIN_CARDS) + digits,
        account_type=account_type,
        amount=draw(st.integers(min_value=0, max_value=12_000_000)),
        bank_name=draw(optional(["中国工商银行", "建设银行", "招商银行", "某某银行"])),
        bank_code=draw(optional(["ICBC", "ccb", "CMB", "WEBANK"])),
        branch_name=draw(optional(["中国工商银行股份有限公司北京新华支行"])),
        province=draw(optional(["北京市", " 广东省 "])),
        city=draw(optional(["北京市"])),
        cnaps_code=draw(optional(["102100000021", "105100000017"])),
        id_no=draw(optional(["11010519491231002X", "110105 19491231 002x", "110105491231002", "110105194912310021"])),
        mobile=draw(optional(["13800138000", "+86 138 0013 8000", "23800138000"])),
        purpose=draw(optional(["劳务报酬", " 货款 "])),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recipient=recipients(), channel_name=st.sampled_from(channel_names()))
def test_prepared_output_validates_clean(recipient: Recipient, channel_name: str, resolver: Resolver) -> None:
    profile = channel(channel_name)
    try:
        prepared = prepare(recipient, profile, resolver)
    except PrepareError as exc:
        assert exc.violations
        return
    assert isinstance(prepared, Prepared)
    assert validate(prepared.recipient, profile, resolver) == []
    normalized = normalize_recipient(recipient, profile)
    for field in Recipient.__struct_fields__:
        before = getattr(normalized, field)
        if before is not None:  # a value the user gave is never overwritten
            assert getattr(prepared.recipient, field) == before
        else:
            assert (getattr(prepared.recipient, field) is not None) == (field in prepared.derived)
