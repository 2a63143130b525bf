"""Personal data out of free text: card numbers in any spelling, 身份证 numbers and mainland mobiles, masked.

One function serves every place text leaves a process (log records, problem bodies, load reports, payout
messages, stored evidence), so a spelling caught once is caught everywhere. People and attackers write a card
number as `6222 0212-3456.7890 128`, in full-width or Arabic-Indic digits, with zero-width characters between
digits, or percent-encoded in a URL (`6222%200212…`, `%EF%BC%96…`); all of them are found here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

from cardbin import cnaps

# Between two digits of one number: up to three separators people type, or invisible characters (format controls
# such as zero-width spaces and bidi marks). `:` and `,` are not separators: times and thousands stay readable.
_SEPARATOR = (
    r"[\s\-\u2010-\u2015\u2212\uff0d.\uff0e\u00b7\u30fb+_/\\\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
_NUMBER = re.compile(rf"(?<!\d)\d(?:{_SEPARATOR}{{0,3}}\d){{10,}}(?:{_SEPARATOR}{{0,3}}[Xx])?(?!\d)")

_PAN_LENGTHS = range(12, 20)  # card numbers; 15- and 18-digit 身份证 numbers fall inside
_FEWEST_DIGITS = 11  # what _NUMBER needs at least (a mobile)
_NOT_DIGITS = bytes(b for b in range(128) if not 0x30 <= b <= 0x39)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_CNAPS_LENGTH = 12


def _digits(run: str) -> str:
    """The ASCII digits of a matched run (any script's digits folded), keeping a final X of an ID number."""
    out = [str(unicodedata.digit(c)) for c in run if c.isdigit()]
    if run[-1] in "Xx":
        out.append("X")
    return "".join(out)


def _masked(value: str) -> str:
    """First 6 and last 4 of a card or ID number kept; a mobile keeps its first 3 and last 4."""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def _is_personal(value: str, separated: bool) -> bool:
    """A card, ID or mobile number; a longer run counts too when separators may have joined one to its neighbour."""
    if value.endswith("X"):
        return len(value) == 18
    if len(value) > _PAN_LENGTHS.stop - 1:
        return separated  # `6222 0212 3456 7890 128 20261130`: a card number and a date, masked together
    return len(value) in _PAN_LENGTHS or _MOBILE.fullmatch(value) is not None


def redact(text: str, *, keep: Iterable[str] = (), keep_cnaps: bool = True) -> str:
    """`text` with every card number, ID number and mobile masked; anything else is returned unchanged.

    `keep` lists values that are not personal although they look it (our own order numbers), compared by digits.
    A 联行号 (12 digits written together, valid check digit) is kept unless `keep_cnaps` is False: it names a
    bank branch, and operators need it whole. Percent-encoded text is decoded first when that reveals a number.
    """
    return text if _holds_no_number(text) else _redacted(text, keep, keep_cnaps)


def _redacted(text: str, keep: Iterable[str], keep_cnaps: bool) -> str:
    kept = {_digits(k) for k in keep if k} if keep else set()

    def replace(match: re.Match[str]) -> str:
        run = match.group()
        value = _digits(run)
        if not _is_personal(value, len(value) != len(run)) or value in kept:
            return run
        if keep_cnaps and len(run) == _CNAPS_LENGTH and run.isascii() and cnaps.is_valid(run):
            return run
        return _masked(value)

    out = _NUMBER.sub(replace, text)
    if "%" in text:
        decoded = _unquoted(text)
        if decoded != text:
            redacted = _NUMBER.sub(replace, decoded)
            if redacted != decoded:  # the encoding hid a number: show the decoded text, masked
                return redacted
    return out


def _holds_no_number(text: str) -> bool:
    """ASCII text with fewer digits than any number redact masks, and no percent-encoding that could hide one:
    most messages and log lines, told at C speed (_NUMBER's scan of every position costs ~10 times more)."""
    return text.isascii() and "%" not in text and len(text.encode().translate(None, _NOT_DIGITS)) < _FEWEST_DIGITS


def _unquoted(text: str) -> str:
    """Percent-decoding repeated until stable (at most three times), so double encoding hides nothing."""
    for _ in range(3):
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text
