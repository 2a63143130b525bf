"""Bring every recipient field into the form a channel wants; the same function serves validate and prepare.

Normalising is what `prepare` does silently and `validate` reports as `not_normalized`, so the two can never
disagree on what a clean recipient is. Normalising twice changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from operator import attrgetter

import msgspec
import phonenumbers
from stdnum.cn import ric

from cardbin.pan import fold
from payout_core.channels.profile import ChannelProfile, LegacyIdPolicy
from payout_core.names.normalize import normalize_name
from payout_core.recipient import Recipient
from payout_core.validation.personal import LEGACY_LENGTH, id_no_problem, is_mobile
from payout_core.validation.rules import rules_for

_MAX_PASSES = 8
_CODES = frozenset({"bank_code", "cnaps_code"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.·]+")
_OPTIONAL = ("bank_name", "bank_code", "branch_name", "province", "city", "cnaps_code", "id_no", "mobile", "purpose")
_optional_values = attrgetter(*_OPTIONAL)
_PERSONAL = frozenset({"id_no", "mobile"})


def _until_stable(step: Callable[[str], str], text: str) -> str:
    """NFKC can expose new separators (U+00A8 → space + mark), so a single pass is not always idempotent."""
    for _ in range(_MAX_PASSES):
        nxt = step(text)
        if nxt == text:
            break
        text = nxt
    return text


def normalize_account(raw: str) -> str:
    """Digits as typed by people, folded as card numbers are (cardbin.pan.fold); what is left is for the checks.

    Not cardbin.pan.normalize_pan: corporate account numbers are not card numbers and run past 19 digits.
    """
    return fold(raw)


def normalize_text(raw: str | None) -> str | None:
    """Trimmed text; empty means absent, so `""` and None are one case for every rule."""
    if raw is None:
        return None
    text = raw.strip()
    return text or None


def normalize_code(raw: str | None) -> str | None:
    """Codes are ASCII and case-free (ICBC, 联行号): NFKC folds full-width forms, spaces go."""
    text = normalize_text(raw)
    if text is None:
        return None
    if text.isalnum() and text.isascii():  # the common case: NFKC leaves it as it is
        return text.upper()
    return _until_stable(lambda s: re.sub(r"\s+", "", unicodedata.normalize("NFKC", s).upper()), text) or None


def _ascii_digits(text: str) -> str:
    """Digits of any script as ASCII (١٢٣ → 123), invisible format characters (zero-width, bidi marks) dropped."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) == "Cf":
            continue
        digit = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(ch if digit is None else str(digit))
    return "".join(out)


def _compact(raw: str) -> str:
    """A personal number as ASCII digits (any width or script), separators dropped, a final x upper-cased."""
    number = _until_stable(lambda s: _SEPARATORS.sub("", _ascii_digits(unicodedata.normalize("NFKC", s))), raw)
    return number[:-1] + "X" if number.endswith("x") else number or raw


def normalize_id_no(raw: str, legacy: LegacyIdPolicy) -> str:
    """The 身份证 number as the channel takes it: compact, and 18 characters where a valid 15-digit one may be
    upgraded (GB 11643-1999: century 19 inserted, check character appended)."""
    number = _compact(raw)
    if legacy == "upgrade" and len(number) == LEGACY_LENGTH and number.isdigit():
        body = f"{number[:6]}19{number[6:]}"
        upgraded = body + ric.calc_check_digit(body + "0")
        if id_no_problem(upgraded, legacy) is None:
            return upgraded
    return number


def normalize_mobile(raw: str) -> str:
    """The 11-digit national number of a valid mainland mobile (+86, spaces and dashes dropped), else compacted."""
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return _compact(raw)
    if parsed.country_code == 86 and is_mobile(parsed):
        return str(parsed.national_number)
    return _compact(raw)


def normalize_field(field: str, value: str | None) -> str | None:
    """One optional field (not name or account number) as every channel wants it."""
    return normalize_code(value) if field in _CODES else normalize_text(value)


def _normalize_personal(field: str, value: str, r: Recipient, profile: ChannelProfile) -> str:
    """身份证 and mobile numbers in the channel's form, where the channel receives them (else only trimmed)."""
    rules = rules_for(profile, r.account_type)
    if field == "id_no" and rules.receives_id_no:
        return normalize_id_no(value, profile.legacy_id)
    if field == "mobile" and rules.receives_mobile:
        return normalize_mobile(value)
    return value


def normalize_recipient(recipient: Recipient, profile: ChannelProfile) -> Recipient:
    """The recipient as the channel wants it; fields that are not text are left for the checks to report.

    A recipient already in that form is returned as it is (no copy), which is the common case.
    """
    changes: dict[str, str | None] = {}
    name, account_no = recipient.name, recipient.account_no
    if isinstance(name, str) and (normalized_name := normalize_name(name)) != name:
        changes["name"] = normalized_name
    if isinstance(account_no, str) and (normalized_account := normalize_account(account_no)) != account_no:
        changes["account_no"] = normalized_account
    for field, value in zip(_OPTIONAL, _optional_values(recipient), strict=False):  # one length by construction
        if value is None or not isinstance(value, str):
            continue
        normalized = normalize_field(field, value)
        if normalized and field in _PERSONAL:
            normalized = _normalize_personal(field, normalized, recipient, profile)
        if normalized != value:
            changes[field] = normalized
    return msgspec.structs.replace(recipient, **changes) if changes else recipient
