"""What a channel's answer means for an order, and the one rule that decides it.

The rule is deliberately asymmetric: only a code the channel profile lists as a final failure fails an order.
Anything else that is not a listed success — a new code, a timeout, a 5xx, a body we cannot read, "not found" —
is Pending, because reading an unknown answer as a decline is how duplicate payouts (重复出款) happen.
"""

from __future__ import annotations

import msgspec

from payout_core.channels import Outcomes


class Succeeded(msgspec.Struct, frozen=True, tag=True):
    """The channel paid the recipient."""

    code: str


class Failed(msgspec.Struct, frozen=True, tag=True):
    """The channel explicitly declined; the funds can be released."""

    code: str
    reason: str


class Pending(msgspec.Struct, frozen=True, tag=True):
    """Nothing final is known; the order stays in progress for query or manual review."""

    reason: str
    code: str | None = None
    not_found: bool = False  # the channel says it has no such order: meaningful only after the grace period
    unverified: bool = False  # an answer that does not count (dispatch.answer): kept as evidence, alerted


class Returned(msgspec.Struct, frozen=True, tag=True):
    """The channel paid and the bank later sent the money back (退汇): a query answer, never a dispatch failure."""

    code: str
    reason: str


Outcome = Succeeded | Failed | Pending | Returned


def classify(code: str, message: str, rules: Outcomes) -> Outcome:
    """The channel's `code` read against its profile; `message` is kept as the reason, never decided on."""
    if code in rules.success_codes:
        return Succeeded(code=code)
    if code in rules.failure_codes:
        return Failed(code=code, reason=message or code)
    if code in rules.return_codes:
        return Returned(code=code, reason=message or code)
    if code in rules.pending_codes:
        return Pending(reason=f"channel is still processing ({code})", code=code)
    if code in rules.not_found_codes:
        return Pending(reason=f"channel has no record of the order ({code})", code=code, not_found=True)
    return Pending(reason=f"code {code!r} is neither a listed success nor a listed final failure", code=code)
