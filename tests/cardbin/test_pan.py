from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardbin.errors import InvalidCardNumber
from cardbin.pan import luhn_valid, mask, normalize_pan, normalize_prefix


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("6222 0212 3456 7890 128", "6222021234567890128"),
        ("6222-0212-3456-7890-128", "6222021234567890128"),
        ("６２２２０２１２３４５６７８９０１２８", "6222021234567890128"),
        ("6222\u30000212345678901\u300028", "6222021234567890128"),
        ("6222\u20030212\n345678901\u200228", "6222021234567890128"),  # any Unicode space goes
    ],
)
def test_normalize_accepts_what_people_type(raw: str, digits: str) -> None:
    assert normalize_pan(raw) == digits


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("6222021234567890x28", "contains 'x'"),
        ("", "is empty"),
        ("62220212345", "has 11 digits"),
        ("62220212345678901234", "has 20 digits"),
        ("6222０２１２３４５６７８９٠１２８", "only digits"),  # Arabic-Indic zero is a digit to str.isdigit
    ],
)
def test_normalize_rejects_with_the_rule_and_never_the_pan(raw: str, rule: str) -> None:
    with pytest.raises(InvalidCardNumber) as exc:
        normalize_pan(raw)
    text = str(exc.value)
    assert rule in text
    assert exc.value.field == "card_number"
    digits = "".join(c for c in raw.translate({0xFF10 + i: 48 + i for i in range(10)}) if c.isascii() and c.isdigit())
    if len(digits) > 10:
        assert digits not in text


def test_prefix_lengths() -> None:
    assert normalize_prefix("622202") == "622202"
    with pytest.raises(InvalidCardNumber, match="has 5 digits"):
        normalize_prefix("62220")
    with pytest.raises(InvalidCardNumber, match="has 11 digits"):
        normalize_prefix("62220212345")


def test_mask_keeps_first6_last4() -> None:
    assert mask("6222021234567890128") == "622202*********0128"
    assert mask("6222 0212 3456 7890 128") == "622202*********0128"
    assert mask("622202") == "622202"


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("4111111111111111", True), ("4111111111111112", False), ("6222021234567890128", True), ("0", True)],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_valid(digits) is ok


@given(st.text(alphabet="0123456789", min_size=1, max_size=19))
def test_luhn_matches_the_textbook_definition(digits: str) -> None:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    assert luhn_valid(digits) is (total % 10 == 0)
