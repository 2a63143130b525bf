"""The card's own word on the recipient: its BIN's bank, card type and length, checked by validate and prepare.

A payout to a card of another bank than the payee named is how money goes astray, so both entry points run the
same checks on the card prepare.card_of looks up. `validate` uses cardbin's active release unless told otherwise.
"""

from __future__ import annotations

import threading
from typing import Protocol

from cardbin.model import CardInfo
from payout_core.channels.profile import ChannelProfile
from payout_core.recipient import Recipient
from payout_core.validation.banks import bank_by_code, bank_by_name, named_bank
from payout_core.validation.violation import Violation

BANK_FIELDS = ("bank_name", "bank_code")


class CardResolver(Protocol):
    """Anything that looks a card up: cardbin's in-process Resolver, or its HTTP client."""

    def lookup(self, card_number: str) -> CardInfo: ...


_opened: list[CardResolver] = []
_opening = threading.Lock()


def default_resolver() -> CardResolver:
    """cardbin's active release (CARDBIN_DB) or the bundled one, opened once per process on first use.

    Serialised: routing threads validating their first recipients at once share one resolver.
    """
    if not _opened:
        with _opening:
            if not _opened:
                from cardbin.resolve import Resolver

                _opened.append(Resolver.open())
    return _opened[0]


def card_violations(r: Recipient, card: CardInfo, profile: ChannelProfile) -> list[Violation]:
    """What the card contradicts: its length for the BIN, a card type the channel cannot pay, the bank named."""
    out = []
    if not card.pan_length_valid:
        digits = len(r.account_no)
        msg = f"{card.card_number_masked} has {digits} digits; cards of BIN {card.bin} have {card.pan_length}"
        out.append(Violation(field="account_no", code="format", message=msg))
    if card.card_type not in profile.card_types:
        paid = ", ".join(profile.card_types)
        msg = f"{card.card_number_masked} is a {card.card_type} card; {profile.name} pays {paid} cards only"
        out.append(Violation(field="account_no", code="card_type", message=msg))
    if not (r.bank_name or r.bank_code):
        return out  # no bank named: none for the card to contradict (the common case before prepare fills one)
    card_bank = named_bank(card.bank_code, card.bank_name)
    for field in BANK_FIELDS:
        given = getattr(r, field)
        if not given or card_bank is None:
            continue
        bank = bank_by_code(given) if field == "bank_code" else bank_by_name(given)
        if bank is not None and bank.code != card_bank.code:
            msg = (
                f"{given!r} is {bank.name} ({bank.code}) but card {card.card_number_masked} "
                f"belongs to {card_bank.name} ({card_bank.code})"
            )
            suggestion = card_bank.code if field == "bank_code" else card_bank.name
            out.append(Violation(field=field, code="bank_mismatch", message=msg, suggestion=suggestion))
    return out
