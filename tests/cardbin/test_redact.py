"""One redaction for every text that leaves a process: card numbers in any spelling, ID numbers, mobiles."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardbin.redact import _redacted, redact

PAN = "6222021234567890128"
MASKED = "622202*********0128"


def _digits_of(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


FULL_WIDTH = PAN.translate({ord("0") + i: 0xFF10 + i for i in range(10)})
ARABIC_INDIC = PAN.translate({ord("0") + i: 0x0660 + i for i in range(10)})


@pytest.mark.parametrize(
    "spelling",
    [
        PAN,
        "6222 0212 3456 7890 128",
        "6222-0212-3456-7890-128",
        "6222.0212.3456.7890.128",
        "6222+0212+3456+7890+128",
        "6222\u30000212\u30003456\u30007890\u3000128",
        "6222\u200b0212\u200b3456\u200b7890\u200b128",
        "6222\u200f0212\u202e3456\ufeff7890\u2060128",
        "6222 - 0212 - 3456 - 7890 - 128",
        FULL_WIDTH,
        ARABIC_INDIC,
        quote(PAN),
        quote("6222 0212 3456 7890 128"),
        quote(FULL_WIDTH),
        quote(quote(FULL_WIDTH)),
        "".join(f"%{ord(c):02X}" for c in PAN),
    ],
)
def test_a_card_number_in_any_spelling_is_masked(spelling: str) -> None:
    for text in (spelling, f"/v1/bins/{spelling}?q={spelling}", f"名字{spelling}张三"):
        out = redact(text)
        assert "0212345678901" not in _digits_of(out)
        assert MASKED in out


def test_id_numbers_and_mobiles_are_masked() -> None:
    assert redact("身份证 11010519491231002X") == "身份证 110105********002X"
    assert redact("id 1101 0519 4912 3100 2x") == "id 110105********002X"
    assert redact("old id 110105491231002") == "old id 110105*****1002"
    assert redact("手机 13800138000") == "手机 138****8000"
    assert redact("手机 138-0013-8000") == "手机 138****8000"


def test_numbers_that_are_not_personal_stay_readable() -> None:
    for text in (
        "time 2026-11-30 20:20:33,123 amount 100000",
        "order 20261130123456789012345 done",  # a 23-digit run written together: an order number, not a card
        "limit=20 month 2026-10",
        "50% off, 100%",
        "联行号 102100099996",  # a valid 联行号 names a branch
        "0102 0000 ICBC",
        "10 digits 1234567890",
        "11 digits not a mobile 23800138000",
    ):
        assert redact(text) == text


def test_keep_lists_our_own_numbers_and_cnaps_can_be_masked() -> None:
    assert redact("order 6222021234567890 paid", keep=["6222021234567890"]) == "order 6222021234567890 paid"
    assert redact("联行号 102100099996", keep_cnaps=False) == "联行号 102100**9996"
    assert redact("1021 0009 9996") == "102100**9996"  # separated: not written as a 联行号


def test_separators_cannot_glue_a_card_number_to_its_neighbour_unseen() -> None:
    out = redact(f"{PAN} 20261130")
    assert "0212345678901" not in _digits_of(out)


_SEPARATORS = st.sampled_from(["", " ", "-", ".", "+", "\u3000", "\u200b", "\u00a0", "/", "_"])


@given(
    pan=st.text(alphabet="0123456789", min_size=12, max_size=19),
    seps=st.lists(_SEPARATORS, min_size=19, max_size=19),
    prefix=st.sampled_from(["", "card=", "卡号", "a ", "/v1/bins/"]),
    suffix=st.sampled_from(["", " ok", "&x=1", "号", " 2026"]),
    encode=st.booleans(),
)
def test_property_no_card_number_survives(pan: str, seps: list[str], prefix: str, suffix: str, encode: bool) -> None:
    spelled = "".join(d + s for d, s in zip(pan, seps[: len(pan) - 1], strict=False)) + pan[-1]
    out = redact(prefix + (quote(spelled) if encode else spelled) + suffix, keep_cnaps=False)
    assert "*" in out
    assert not any(pan in run for run in re.findall(r"[0-9]+", out))


_TEXT = st.text(st.sampled_from(list("0123456789 -./:,+_%2Fabc卡号X\u00b7\u200b\uff16\u0663")), max_size=30)
_NUMBERS = st.sampled_from(["13800138000", "138-0013-8000", "1380013800", "622202123456", "102100099996", PAN])


@given(text=_TEXT | st.builds(lambda a, n, b: a + n + b, _TEXT, _NUMBERS, _TEXT), keep_cnaps=st.booleans())
def test_property_text_passed_over_is_what_the_full_scan_leaves_alone(text: str, keep_cnaps: bool) -> None:
    """Issue 17: ASCII text with fewer than 11 digits and no % skips the scan; the full scan returns it unchanged."""
    assert redact(text, keep_cnaps=keep_cnaps) == _redacted(text, (), keep_cnaps)
