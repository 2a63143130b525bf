"""Make a recipient dispatch-ready: normalise it, fill what the card's BIN tells, and refuse it if anything is left.

Filling never overwrites: a value the user gave stays, and one that contradicts the card is a violation, since
a payout to a card of another bank than the payee named is how money goes astray.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

import msgspec

from cardbin.errors import InvalidInput, NotFound
from cardbin.model import Bank, CardInfo
from payout_core.channels.profile import ChannelProfile
from payout_core.recipient import Recipient
from payout_core.validation.banks import bank_by_code, named_bank
from payout_core.validation.card import BANK_FIELDS, CardResolver, card_violations
from payout_core.validation.checks import check, type_violations
from payout_core.validation.normalize import normalize_field, normalize_recipient
from payout_core.validation.violation import PrepareError

# A branch, its 联行号 and its region describe one place: derived together, and only when the user gave none.
_BRANCH_FIELDS = ("branch_name", "cnaps_code", "province", "city")
_branch_values = attrgetter(*_BRANCH_FIELDS)
_derivable_values = attrgetter(*BANK_FIELDS, *_BRANCH_FIELDS)


class Prepared(msgspec.Struct, frozen=True, kw_only=True):
    """A dispatch-ready recipient, the fields prepare filled in, and the channel's own code of the bank."""

    recipient: Recipient
    derived: list[str]
    channel_bank_code: str | None
    card: CardInfo | None = None


class _CardFields(NamedTuple):
    bank: Bank | None  # the card's bank in cardbin's directory
    # What the card can fill, normalised (absent where it tells nothing): a plain dict, since `**` on anything
    # else costs a copy per recipient; shared by every card of the key, so never modified.
    values: Mapping[str, str]


def _normalized(values: dict[str, str | None]) -> dict[str, str]:
    return {f: v for f, raw in values.items() if (v := normalize_field(f, raw))}


# What a card can fill depends on these fields of its CardInfo alone (the bank, the branch matched, the region).
_card_key = attrgetter("bank_code", "bank_name", "cnaps_match", "branch_name", "cnaps_code", "province", "city")


@lru_cache(maxsize=16_384)
def _card_fields(key: tuple[str, str, str, str | None, str | None, str | None, str | None]) -> _CardFields:
    """A card's bank and the fields it can fill: memoised by `_card_key`, since the cards of a payout stream come
    from a few thousand BINs and branches."""
    bank_code, bank_name, cnaps_match, branch_name, cnaps_code, province, city = key
    # A bank cardbin knows only from the release (a 村镇银行's own X… code) has no code a channel accepts.
    code = bank_code if bank_by_code(bank_code) is not None else None
    values: dict[str, str | None] = {"bank_name": bank_name, "bank_code": code}
    if cnaps_match != "none":
        values.update(branch_name=branch_name, cnaps_code=cnaps_code)
    values.update(province=province, city=city)
    return _CardFields(named_bank(bank_code, bank_name), _normalized(values))


def _fill(r: Recipient, card: CardInfo | None) -> tuple[Recipient, list[str]]:
    """Missing bank fields from the card, else from the other bank field via the directory."""
    if card is not None and not any(_derivable_values(r)):  # nothing given, the common case: all the card tells
        values = _card_fields(_card_key(card)).values
        return (msgspec.structs.replace(r, **values) if values else r), list(values)
    return _fill_around(r, card)


def _fill_around(r: Recipient, card: CardInfo | None) -> tuple[Recipient, list[str]]:
    """_fill where the user gave some bank or branch field (or there is no card): only the gaps, if consistent."""
    named = named_bank(r.bank_code, r.bank_name)
    card_bank, card_values = _card_fields(_card_key(card)) if card is not None else (None, {})
    # A card of another bank than the one named derives nothing: the conflict is reported by card_violations.
    trusted = card is not None and (named is None or card_bank is None or named.code == card_bank.code)
    values = card_values if trusted else {}
    if named is not None:  # the user's own bank wins over the card's name for it
        values = {**values, **_normalized({"bank_name": named.name, "bank_code": named.code})}
    fields = [f for f in BANK_FIELDS if not getattr(r, f)]
    if not any(_branch_values(r)):
        fields += _BRANCH_FIELDS
    changes = {f: v for f in fields if (v := values.get(f))}
    return (msgspec.structs.replace(r, **changes) if changes else r), list(changes)


def card_of(r: Recipient, resolver: CardResolver) -> CardInfo | None:
    """The card behind a normalised personal account number, or None.

    Cards are personal: a corporate account number has no BIN, and a prefix match would be a false bank. An
    unknown BIN tells nothing; a service that cannot answer raises its own error, so nothing passes on a guess.
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
    card = card_of(normalized, resolver)
    filled, derived = _fill(normalized, card)
    violations = check(filled, profile)
    if card is not None:
        violations += card_violations(normalized, card, profile)
    if violations:
        raise PrepareError(violations)
    bank = bank_by_code(filled.bank_code)
    return Prepared(
        recipient=filled,
        derived=derived,
        channel_bank_code=profile.bank_code_for(bank) if bank is not None else None,
        card=card,
    )
