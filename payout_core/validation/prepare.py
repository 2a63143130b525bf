"""Make a recipient dispatch-ready: normalise it, fill what the card's BIN tells, and refuse it if anything is left.

Filling never overwrites: a value the user gave stays, and one that contradicts the card is a violation, since
a payout to a card of another bank than the payee named is how money goes astray.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from cardbin.errors import InvalidInput, NotFound
from cardbin.model import CardInfo
from payout_core.channels.profile import ChannelProfile
from payout_core.recipient import Recipient
from payout_core.validation.banks import bank_by_code, bank_by_name, named_bank
from payout_core.validation.normalize import normalize_field, normalize_recipient
from payout_core.validation.validate import check, type_violations
from payout_core.validation.violation import PrepareError, Violation

_BANK_FIELDS = ("bank_name", "bank_code")
# A branch, its 联行号 and its region describe one place: derived together, and only when the user gave none.
_BRANCH_FIELDS = ("branch_name", "cnaps_code", "province", "city")


class CardResolver(Protocol):
    """Anything that looks a card up: cardbin's in-process Resolver, or its HTTP client."""

    def lookup(self, card_number: str) -> CardInfo: ...


class Prepared(msgspec.Struct, frozen=True, kw_only=True):
    """A dispatch-ready recipient, the fields prepare filled in, and the channel's own code of the bank."""

    recipient: Recipient
    derived: list[str]
    channel_bank_code: str | None
    card: CardInfo | None = None


def _card_values(card: CardInfo) -> dict[str, str | None]:
    # A bank cardbin knows only from the release (a 村镇银行's own X… code) has no code a channel accepts.
    code = card.bank_code if bank_by_code(card.bank_code) is not None else None
    values: dict[str, str | None] = {"bank_name": card.bank_name, "bank_code": code}
    if card.cnaps_match != "none":
        values.update(branch_name=card.branch_name, cnaps_code=card.cnaps_code)
    values.update(province=card.province, city=card.city)
    return values


def _fill(r: Recipient, card: CardInfo | None) -> tuple[Recipient, list[str]]:
    """Missing bank fields from the card, else from the other bank field via the directory."""
    named = named_bank(r.bank_code, r.bank_name)
    card_bank = named_bank(card.bank_code, card.bank_name) if card is not None else None
    # A card of another bank than the one named derives nothing: the conflict is reported by _card_violations.
    trusted = card is not None and (named is None or card_bank is None or named.code == card_bank.code)
    values = _card_values(card) if card is not None and trusted else {}
    if named is not None:  # the user's own bank wins over the card's name for it
        values.update(bank_name=named.name, bank_code=named.code)
    fields = [f for f in _BANK_FIELDS if not getattr(r, f)]
    if not any(getattr(r, f) for f in _BRANCH_FIELDS):
        fields += _BRANCH_FIELDS
    changes = {f: v for f in fields if (v := normalize_field(f, values.get(f)))}
    return msgspec.structs.replace(r, **changes), list(changes)


def _card_violations(r: Recipient, card: CardInfo, profile: ChannelProfile) -> list[Violation]:
    out = []
    if not card.pan_length_valid:
        digits = len(r.account_no)
        msg = f"{card.card_number_masked} has {digits} digits; cards of BIN {card.bin} have {card.pan_length}"
        out.append(Violation(field="account_no", code="format", message=msg))
    if card.card_type not in profile.card_types:
        paid = ", ".join(profile.card_types)
        msg = f"{card.card_number_masked} is a {card.card_type} card; {profile.name} pays {paid} cards only"
        out.append(Violation(field="account_no", code="card_type", message=msg))
    card_bank = named_bank(card.bank_code, card.bank_name)
    for field in _BANK_FIELDS:
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


def _lookup(r: Recipient, resolver: CardResolver) -> CardInfo | None:
    """Cards are personal: a corporate account number has no BIN, and a prefix match would be a false bank.

    An unknown BIN derives nothing (the fields it would have filled are reported as missing); a service that
    cannot answer raises its own error, so nothing is prepared on a guess.
    """
    if r.account_type != "personal" or not r.account_no.isdigit():
        return None
    try:
        return resolver.lookup(r.account_no)
    except (NotFound, InvalidInput):
        return None


def prepare(recipient: Recipient, profile: ChannelProfile, resolver: CardResolver) -> Prepared:
    """The dispatch-ready recipient, or PrepareError listing every violation; the input is never modified."""
    typed = type_violations(recipient)
    if typed:
        raise PrepareError(typed)
    normalized = normalize_recipient(recipient, profile)
    card = _lookup(normalized, resolver)
    filled, derived = _fill(normalized, card)
    violations = check(filled, profile)
    if card is not None:
        violations += _card_violations(normalized, card, profile)
    if violations:
        raise PrepareError(violations)
    bank = bank_by_code(filled.bank_code)
    return Prepared(
        recipient=filled,
        derived=derived,
        channel_bank_code=profile.bank_code_for(bank) if bank is not None else None,
        card=card,
    )
