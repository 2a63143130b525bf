from __future__ import annotations

import logging

import msgspec
import pytest

from payout_core import Recipient

PAN = "6222021234567890128"


def test_repr_masks_the_account_number_even_inside_other_records(caplog: pytest.LogCaptureFixture) -> None:
    r = Recipient(name="张三", account_no=PAN, account_type="personal", amount=100, bank_code="ICBC")
    with caplog.at_level(logging.INFO):
        logging.getLogger("payout").info("dispatching %s and %r", r, [r])
    for text in (repr(r), str(r), caplog.text):
        assert PAN not in text
        assert "622202*********0128" in text
    assert "bank_code='ICBC'" in repr(r)


def test_the_wire_form_keeps_the_real_number() -> None:
    r = Recipient(name="张三", account_no=PAN, account_type="personal", amount=100)
    assert msgspec.json.decode(msgspec.json.encode(r), type=Recipient).account_no == PAN


def test_repr_masks_id_and_mobile_numbers_in_any_spelling() -> None:
    r = Recipient(
        name="张三",
        account_no=PAN,
        account_type="personal",
        amount=100,
        id_no="110105 19491231 002X",
        mobile="138-0013-8000",
        purpose="劳务报酬",
    )
    text = repr(r)
    assert "110105 19491231 002X" not in text and "11010519491231002X" not in text
    assert "138-0013-8000" not in text and "13800138000" not in text
    assert "110105********002X" in text and "138****8000" in text
    assert "purpose='劳务报酬'" in text
