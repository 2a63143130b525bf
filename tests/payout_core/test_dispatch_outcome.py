"""The classification rule: only listed codes are final; everything else is Pending. And evidence masking."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payout_core.channels import Outcomes, channel
from payout_core.channels.profile import DEFAULT_NOT_FOUND_GRACE_SECONDS
from payout_core.dispatch import (
    Exchange,
    Failed,
    Pending,
    Returned,
    Succeeded,
    classify,
    masked_exchange,
    masked_outcome,
)

RULES = Outcomes(
    success_codes=frozenset({"SUCCESS"}),
    failure_codes=frozenset({"NAME_MISMATCH", "ACCOUNT_INVALID"}),
    pending_codes=frozenset({"PROCESSING"}),
    not_found_codes=frozenset({"ORDER_NOT_EXIST"}),
    return_codes=frozenset({"BANK_FAIL"}),
)


def test_listed_codes_have_their_meaning() -> None:
    assert classify("SUCCESS", "", RULES) == Succeeded(code="SUCCESS")
    assert classify("NAME_MISMATCH", "姓名不符", RULES) == Failed(code="NAME_MISMATCH", reason="姓名不符")
    assert classify("BANK_FAIL", "", RULES) == Returned(code="BANK_FAIL", reason="BANK_FAIL")
    not_found = classify("ORDER_NOT_EXIST", "", RULES)
    assert isinstance(not_found, Pending) and not_found.not_found
    processing = classify("PROCESSING", "", RULES)
    assert isinstance(processing, Pending) and not processing.not_found


@given(code=st.text(max_size=30), message=st.text(max_size=30))
def test_any_unlisted_code_is_pending_whatever_the_message_says(code: str, message: str) -> None:
    listed = RULES.success_codes | RULES.failure_codes | RULES.return_codes
    outcome = classify(code, message, RULES)
    if code not in listed:
        assert isinstance(outcome, Pending) and outcome.code == code


def test_the_message_never_decides() -> None:
    assert isinstance(classify("SYSTEMERROR", "交易失败 failed", RULES), Pending)


def test_a_code_listed_under_two_meanings_is_refused() -> None:
    with pytest.raises(ValueError, match="SUCCESS"):
        Outcomes(success_codes=frozenset({"SUCCESS"}), failure_codes=frozenset({"SUCCESS"}))
    with pytest.raises(ValueError, match="8901"):
        Outcomes(failure_codes=frozenset({"8901"}), not_found_codes=frozenset({"8901"}))


def test_profile_outcomes_decide_and_default_the_grace() -> None:
    rules = msgspec.toml.decode(
        b'success_codes = ["0000"]\nfailure_codes = ["1001"]\nnot_found_codes = ["8901"]\nreturn_codes = ["REFUND"]\n'
        b"not_found_grace_seconds = 1800\nresend_safe = true\n",
        type=Outcomes,
    )
    assert (rules.not_found_grace_seconds, rules.resend_safe, rules.return_codes) == (1800, True, {"REFUND"})
    assert isinstance(classify("9999", "", rules), Pending)
    assert isinstance(classify("REFUND", "", rules), Returned)
    assert channel("generic").outcomes.not_found_grace_seconds == DEFAULT_NOT_FOUND_GRACE_SECONDS


def test_evidence_masks_card_id_and_mobile_numbers_in_any_spelling_and_keeps_our_order_numbers() -> None:
    """Whatever an exchange holds (a channel echoing the payee back, a proxy's error page, a transport error that
    quotes the URL), no card, 身份证 or mobile number reaches the evidence whole; our order numbers do."""
    spellings = [
        "6222021234567890128",
        "6222 0212 3456 7890 128",
        "6222-0212-3456-7890-128",
        "６２２２０２１２３４５６７８９０１２８",
        "11010519491231002X",
        "110105 19491231 002x",
        "138 0013 8000",
        "138-0013-8000",
    ]
    text = json.dumps({"order": "PO42", "mine": "202611300000000042", "values": spellings}, ensure_ascii=False)
    wire = Exchange(
        kind="dispatch",
        url="https://ch.example/pay?card=6222%200212%203456%207890%20128",
        request_body=text,
        http_status=200,
        response_body=text,
        transport_error=f"ReadTimeout: {text}",
        sent_at=datetime(2026, 3, 2, tzinfo=UTC),
        received_at=datetime(2026, 3, 2, tzinfo=UTC),
        latency_ms=1.0,
    )
    masked = masked_exchange(wire, keep=("PO42", "202611300000000042"))
    for stored in (masked.request_body, masked.response_body or "", masked.transport_error or ""):
        shown = json.loads(stored.removeprefix("ReadTimeout: "))
        assert (shown["order"], shown["mine"]) == ("PO42", "202611300000000042")
        assert shown["values"] == [
            *["622202*********0128"] * 4,
            *["110105********002X"] * 2,
            *["138****8000"] * 2,
        ]
    assert masked.url == "https://ch.example/pay?card=622202*********0128"
    declined = Failed(code="NO_CARD", reason="card 6222 0212 3456 7890 128 closed")
    assert masked_outcome(declined, keep=()) == Failed(code="NO_CARD", reason="card 622202*********0128 closed")


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("wechat_bank", "SUCCESS", Succeeded),
        ("wechat_bank", "FAILED", Failed),
        ("wechat_bank", "BANK_FAIL", Returned),
        ("wechat_bank", "SYSTEMERROR", Pending),
        ("alipay_bankcard", "REFUND", Returned),
        ("alipay_bankcard", "DEALING", Pending),
        ("lianlian", "8901", Pending),
        ("lianlian", "4002", Pending),
        ("generic", "FAILED", Pending),  # a profile that lists no failure code can never fail an order
    ],
)
def test_shipped_profiles_read_their_documented_codes(name: str, code: str, expected: type) -> None:
    assert isinstance(classify(code, "", channel(name).outcomes), expected)
