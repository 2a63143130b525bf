"""Issue 17, case by case: each channel rule as its public source states it, the source cited beside the case.

Each row is (channel, what differs from a plain payee, the violations expected, where the rule comes from).
The plain payee is an individual with an ICBC card, the bank named, a 身份证 and mobile number and a purpose,
which every shipped channel can pay as written (test_validate checks that); so each row shows one rule.
"""

from __future__ import annotations

import pytest

from cardbin.banks import default_directory
from payout_core import Recipient, channel, validate
from payout_core.channels import channel_names
from tests.payout_core.builders import branch_company as firm
from tests.payout_core.builders import payee as person

CASES = [
    # --- wrong channel facts ---------------------------------------------------------------------------------
    ("alipay_bankcard", person(amount=9), [("amount", "amount_range")], "Alipay bank-card transAmount [0.1, 1e8]"),
    ("alipay_bankcard", person(amount=10), [], "0.1 CNY is the bank-card minimum, not 1 fen"),
    ("alipay_bankcard", person(amount=6_000_000), [], "the 50,000 CNY cap was toaccount.transfer's (Alipay accounts)"),
    ("alipay_bankcard", firm(amount=20_000_000), [], "the 100,000 CNY company cap was toaccount.transfer's too"),
    ("lianlian", person(purpose=None), [("purpose", "required")], "info_order 是 (zhangjhLL/- onlinebanking.md)"),
    ("lianlian", person(purpose=None, amount=100), [("purpose", "required")], "required below 50,000 CNY too"),
    (
        "baofoo",
        person(id_no=None, mobile=None),
        [("id_no", "required"), ("mobile", "required")],
        "对私必填 (wwb-paylink)",
    ),
    ("baofoo", firm(), [], "对公不填: no 身份证 or mobile for companies (my6521/wwb-paylink TransReqData.cs)"),
    ("allinpay", person(bank_code=None), [("bank_code", "required")], "BANK_CODE on every detail (TLT 100002 demo)"),
    # --- rules with no source that changed valid names ---------------------------------------------------------
    (
        "allinpay",
        person(name="买买提·艾力"),
        [],
        "no source strips the middle dot (it stripped 买买提·艾力 to 买买提艾力)",
    ),
    ("baofoo", firm(name="（深圳）科技有限公司"), [], "no source rewrites （） to ()"),
    ("alipay_bankcard", person(name="MARY-JANE O'NEIL"), [], "no source refuses - ' . in foreign names"),
    ("generic", firm(name="3M中国有限公司"), [], "no source refuses Latin letters in company names"),
    ("generic", firm(name="ABC（中国）有限公司"), [], "no source refuses Latin letters in company names"),
    ("allinpay", person(name="王"), [("name", "too_short")], "the minimum counts characters, not GBK bytes"),
    ("generic", person(name="王"), [("name", "too_short")], "the minimum counts characters, not GBK bytes"),
    # --- ID and mobile numbers, where the channel receives them ------------------------------------------------
    ("baofoo", person(id_no="110105194912310021"), [("id_no", "format")], "GB 11643 check character (stdnum.cn.ric)"),
    ("baofoo", person(id_no="abc"), [("id_no", "format")], "an 身份证 number has 18 characters"),
    ("baofoo", person(mobile="23800138000"), [("mobile", "format")], "no mainland mobile starts 2 (phonenumbers CN)"),
    ("allinpay", person(mobile="23800138000"), [("mobile", "format")], "TEL is sent: checked when given"),
    ("allinpay", person(id_no="110105491231002"), [("id_no", "not_normalized")], "15 digits: upgraded (assumption)"),
    ("generic", person(id_no="110105491231002"), [], "generic receives no 身份证: not checked, not rewritten"),
]


@pytest.mark.parametrize(("channel_name", "recipient", "expected", "source"), CASES, ids=[c[3] for c in CASES])
def test_issue_17_case(channel_name: str, recipient: Recipient, expected: list[tuple[str, str]], source: str) -> None:
    assert [(v.field, v.code) for v in validate(recipient, channel(channel_name))] == expected, source


@pytest.mark.parametrize("channel_name", channel_names())
def test_a_minority_name_keeps_its_dot_on_every_channel(channel_name: str) -> None:
    """No shipped profile has a sourced rule against the middle dot, so none refuses or removes it."""
    assert validate(person(name="买买提·艾力"), channel(channel_name)) == []
    assert validate(person(name="阿卜杜热合曼·阿卜杜克热木"), channel(channel_name)) == []


@pytest.mark.parametrize(
    ("bank", "code", "source"),
    [
        ("BJBANK", "4836", "ansitech/weixin4j-pay BankID.java, dromara/payment-spring-boot BankCode.java (not 1032)"),
        ("SHBANK", "1024", "dromara/payment-spring-boot BankCode.java BK_1024"),
        ("NJCB", "1054", "dromara/payment-spring-boot BankCode.java BK_1054"),
        ("CSCB", "4216", "dromara/payment-spring-boot BankCode.java BK_4216"),
        ("ICBC", "1002", "weixin4j-pay BankID.java 工商银行 = 1002"),
        ("PSBC", "1066", "weixin4j-pay BankID.java 邮储银行 = 1066"),
        ("WEBANK", None, "neither list names 微众银行"),
    ],
)
def test_wechat_bank_codes(bank: str, code: str | None, source: str) -> None:
    found = default_directory().by_code(bank)
    assert found is not None
    assert channel("wechat_bank").bank_code_for(found) == code, source


def test_allinpay_codes_are_four_digit_institution_codes() -> None:
    """BANK_CODE 0103 for 农业银行 in the TLT 100002 demo (zhanght86/leasing …/allinpay/demo/signVeryDemo.java)."""
    directory = default_directory()
    for bank, code in (("ABC", "0103"), ("CMB", "0308"), ("ICBC", "0102")):
        found = directory.by_code(bank)
        assert found is not None and channel("allinpay").bank_code_for(found) == code


def test_wechat_merchant_cap_per_day() -> None:
    """商户号单日出款额度 10万 (WeChat notice 2018-11-29): missing before; enforced per day beyond validate."""
    assert channel("wechat_bank").daily_limit == 10_000_000
