"""What a channel's answer says, and whether it counts: the one check every answer of every channel goes through.

An answer counts only if it came with an HTTP status the profile lists (default 200), names our order number (and
our amount, where the channel returns one) and carries a valid signature where the profile declares one. Anything
else is kept as evidence, raises an alert (an ERROR record on the `payout_core.alerts` logger) and leaves the order
in progress: a decline naming another order, or one a proxy made up, must never fail this order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from cardbin.redact import redact
from payout_core.channels import ChannelProfile
from payout_core.dispatch.outcome import Outcome, Pending, classify
from payout_core.dispatch.signature import Verifier

alerts = logging.getLogger("payout_core.alerts")


class Signed(msgspec.Struct, frozen=True, kw_only=True):
    """The exact bytes the channel signed (its canonical string of the answer) and the signature it sent."""

    payload: bytes
    signature: str


class ChannelAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """What an answer says, before it is believed (see the module docstring)."""

    order_no: str | None  # the channel order number the answer names; None: it names none
    code: str
    message: str = ""
    amount: int | None = None  # fen, where the channel returns it
    channel_ref: str | None = None  # the channel's own reference (流水号), where it gives one
    signed: Signed | None = None


class Expected(NamedTuple):
    """What an answer about this order must name."""

    order_no: str
    amount: int


Parse = Callable[[int, bytes], ChannelAnswer]


class AnswerReader:
    """Reads the answers of one channel account under its profile; `verifier` is set when the profile signs."""

    def __init__(self, account: str, profile: ChannelProfile, verifier: Verifier | None) -> None:
        if (profile.answers.signature is None) != (verifier is None):
            raise AssertionError(f"{account}: a verifier is needed exactly when the profile declares a signature")
        self.account = account
        self.profile = profile
        self._verifier = verifier

    def read(
        self, parse: Parse, status: int | None, raw: bytes | None, error: str | None, expected: Expected
    ) -> Outcome:
        if status is None or raw is None:
            return Pending(reason=f"no answer from the channel: {error}")
        if status not in self.profile.answers.statuses:
            if status >= 500:
                return Pending(reason=f"channel answered HTTP {status}")
            listed = ", ".join(map(str, sorted(self.profile.answers.statuses)))
            return self._unverified(expected, f"HTTP {status} carries no answer (the profile lists {listed})", None)
        try:
            answer = parse(status, raw)
        except Exception as exc:  # an adapter bug must not lose the evidence, nor read as an answer
            return Pending(reason=f"answer could not be read ({type(exc).__name__}); kept as evidence")
        refused = self.refusal(answer, expected)
        if refused is not None:
            return self._unverified(expected, refused, answer.code)
        return classify(answer.code, answer.message, self.profile.outcomes)

    def refusal(self, answer: ChannelAnswer, expected: Expected) -> str | None:
        """Why the answer does not count for this order; None when it does."""
        if answer.order_no != expected.order_no:
            return f"the answer names order {answer.order_no!r}, not {expected.order_no!r}"
        if answer.amount is not None and answer.amount != expected.amount:
            return f"the answer names amount {answer.amount} fen, not {expected.amount}"
        rule = self.profile.answers.signature
        if rule is not None:
            assert self._verifier is not None  # __init__
            if answer.signed is None:
                return f"the answer carries no signature ({rule.algorithm} expected)"
            if not self._verifier.verify(answer.signed.payload, answer.signed.signature):
                return f"the answer's {rule.algorithm} signature does not verify"
        return None

    def _unverified(self, expected: Expected, why: str, code: str | None) -> Pending:
        why = redact(why, keep=(expected.order_no,))  # it may quote what a hostile answer said
        alerts.error(
            "channel account %s: unverified answer about order %s: %s; kept as evidence, the order stays in progress",
            self.account,
            expected.order_no,
            why,
        )
        return Pending(reason=f"unverified answer: {why}", code=code, unverified=True)
