"""What a channel's answer means for an order, and the one rule that decides it.

The rule is deliberately asymmetric: only a code the channel profile lists as a final failure fails an order.
Anything else that is not a listed success — a new code, a timeout, a 5xx, a body we cannot read, "not found" —
is Pending, because reading an unknown answer as a decline is how duplicate payouts (重复出款) happen.
"""

from __future__ import annotations

import msgspec

from payout_core.channels import Outcomes

# A profile that declares no not-found grace still must not leave "not found" pending forever: two days is the
# longest documented window (WeChat allows resending the same order number within 2 natural days).
DEFAULT_NOT_FOUND_GRACE_SECONDS = 2 * 86_400


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


class Returned(msgspec.Struct, frozen=True, tag=True):
    """The channel paid and the bank later sent the money back (退汇): a query answer, never a dispatch failure."""

    code: str
    reason: str


Outcome = Succeeded | Failed | Pending | Returned


class OutcomeRules(msgspec.Struct, frozen=True, kw_only=True):
    """A channel profile's `[outcomes]` section: which codes are final, and how patient to be with "not found"."""

    success_codes: frozenset[str]
    failure_codes: frozenset[str]
    pending_codes: frozenset[str] = frozenset()
    not_found_codes: frozenset[str] = frozenset()
    return_codes: frozenset[str] = frozenset()
    not_found_grace_seconds: int = DEFAULT_NOT_FOUND_GRACE_SECONDS
    resend_safe: bool = False

    def __post_init__(self) -> None:
        groups = (self.success_codes, self.failure_codes, self.pending_codes, self.not_found_codes, self.return_codes)
        clash = {code for i, a in enumerate(groups) for b in groups[i + 1 :] for code in a & b}
        if clash:
            raise ValueError(f"outcome codes {sorted(clash)} are listed under more than one meaning")
        if self.not_found_grace_seconds < 0:
            raise ValueError(f"not_found_grace_seconds={self.not_found_grace_seconds}: must be >= 0")


def rules_from_profile(outcomes: Outcomes, return_codes: frozenset[str] = frozenset()) -> OutcomeRules:
    """A profile's `[outcomes]` as rules; `return_codes` come from the adapter until profiles declare them."""
    return OutcomeRules(
        success_codes=frozenset(outcomes.success_codes),
        failure_codes=frozenset(outcomes.failure_codes),
        pending_codes=frozenset(outcomes.pending_codes),
        not_found_codes=frozenset(outcomes.not_found_codes),
        return_codes=return_codes,
        not_found_grace_seconds=outcomes.not_found_grace_seconds or DEFAULT_NOT_FOUND_GRACE_SECONDS,
        resend_safe=outcomes.resend_safe,
    )


def classify(code: str, message: str, rules: OutcomeRules) -> Outcome:
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
