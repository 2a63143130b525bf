"""Check a recipient against a channel profile and report every broken rule at once, never raising."""

from __future__ import annotations

from typing import Any

import msgspec

from payout_core.channels.profile import ChannelProfile
from payout_core.recipient import Recipient
from payout_core.validation.card import CardResolver, card_violations, default_resolver
from payout_core.validation.checks import TEXT_FIELDS, check, normalisation_violations, type_violations
from payout_core.validation.normalize import normalize_recipient
from payout_core.validation.prepare import card_of
from payout_core.validation.violation import Violation, redacted


def validate(
    recipient: Recipient, profile: ChannelProfile, resolver: CardResolver | None = None, *, bin_check: bool = True
) -> list[Violation]:
    """Every violation of the recipient for the channel; an empty list means dispatch-ready as it is.

    A card number is looked up (in `resolver`, else cardbin's active release) and its BIN's bank, card type and
    length checked against what the recipient says, unless `bin_check` is False. Messages and suggestions show
    card, 身份证 and mobile numbers only masked (cardbin.redact), however they were written.
    """
    typed = type_violations(recipient)
    clean = _sanitize(recipient) if typed else recipient
    normalized = normalize_recipient(clean, profile)
    out = typed + normalisation_violations(clean, normalized) + check(normalized, profile)
    if bin_check:
        card = card_of(normalized, resolver or default_resolver())
        if card is not None:
            out += card_violations(normalized, card, profile)
    return redacted(out) if out else out


def _sanitize(r: Recipient) -> Recipient:
    """Wrongly typed values (already reported) become absent, so every other rule can still run."""
    changes: dict[str, Any] = {f: None for f in TEXT_FIELDS if not isinstance(getattr(r, f), str)}
    changes.update({f: "" for f in ("name", "account_no") if f in changes})
    return msgspec.structs.replace(r, **changes)
