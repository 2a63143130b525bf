"""Bring every recipient field into the form a channel wants; the same function serves validate and prepare.

Normalising is what `prepare` does silently and `validate` reports as `not_normalized`, so the two can never
disagree on what a clean recipient is. Normalising twice changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import msgspec

from cardbin.pan import fold
from payout_core.channels.profile import ChannelProfile
from payout_core.names.normalize import normalize_name
from payout_core.recipient import Recipient

_MAX_PASSES = 8
_CODES = frozenset({"bank_code", "cnaps_code"})
_OPTIONAL = ("bank_name", "bank_code", "branch_name", "province", "city", "cnaps_code", "id_no", "mobile")


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


def normalize_field(field: str, value: str | None) -> str | None:
    """One optional field (not name or account number) as every channel wants it."""
    return normalize_code(value) if field in _CODES else normalize_text(value)


def normalize_recipient(recipient: Recipient, profile: ChannelProfile) -> Recipient:
    """The recipient as the channel wants it; fields that are not text are left for the checks to report."""
    changes: dict[str, str | None] = {}
    if isinstance(recipient.name, str):
        changes["name"] = normalize_name(recipient.name, profile.name_rules(recipient.account_type))
    if isinstance(recipient.account_no, str):
        changes["account_no"] = normalize_account(recipient.account_no)
    for field in _OPTIONAL:
        value = getattr(recipient, field)
        if isinstance(value, str):
            changes[field] = normalize_field(field, value)
    return msgspec.structs.replace(recipient, **changes)
