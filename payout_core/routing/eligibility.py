"""Can this channel account carry this payout? One small function over the channel profile and validation."""

from __future__ import annotations

from payout_core.channels import ChannelProfile
from payout_core.recipient import Recipient
from payout_core.validation import validate


def refusals(
    profile: ChannelProfile, recipient: Recipient, available: int | None, card_used: int = 0, account_used: int = 0
) -> list[str]:
    """Why the channel cannot carry the payout; empty means eligible. Reasons name fields and codes, never values.

    `validate` covers the profile's account types, amount range, name and field rules and a bank it knows the
    recipient's bank of; a recipient whose bank is not named by code at all cannot be routed either.
    `available` is the channel account's balance, None when unknown here (the freeze then checks it), and
    `card_used` what the recipient's card has already been paid through this channel account today, `account_used`
    what the channel account has paid in all today.
    """
    reasons = [f"{v.field}:{v.code}" for v in validate(recipient, profile)]
    if not recipient.bank_code:
        reasons.append("bank_code:required")
    elif not profile.supports_bank(recipient.bank_code) and not any(r.startswith("bank_code:") for r in reasons):
        reasons.append("bank_code:bank_unsupported")
    limit = profile.daily_card_limit
    if limit is not None and card_used + recipient.amount > limit:
        reasons.append(f"card daily limit {limit}: {card_used} used today + {recipient.amount}")
    total = profile.daily_limit
    if total is not None and account_used + recipient.amount > total:
        reasons.append(f"channel account daily limit {total}: {account_used} used today + {recipient.amount}")
    if available is not None and available < recipient.amount:
        reasons.append(f"channel balance {available} < {recipient.amount}")
    return reasons
