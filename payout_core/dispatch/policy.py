"""How often in-progress orders are queried and when a person must look: the knobs, in one place."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from payout_core.errors import InvalidInput


class QueryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Query back-off by query count (the last interval repeats), and the patience before manual review.

    A not-found answer is governed by the channel profile's grace period instead; `review_after_seconds` covers
    orders the channel keeps calling "processing" or answers with codes nobody documented.
    """

    intervals_seconds: tuple[int, ...] = (10, 30, 60, 120, 300, 600, 1800)
    review_after_seconds: int = 2 * 86_400
    max_resends: int = 1
    # Queries after the order is final, each this long after the one before (the first after the decision): later
    # truth — a payment after a decline, a return (退汇), an answer contradicting an operator — is found by them, or
    # else by the next statement. Empty: none.
    follow_up_seconds: tuple[int, ...] = (3600, 86_400)

    def __post_init__(self) -> None:
        if not self.intervals_seconds or min(self.intervals_seconds) <= 0:
            raise InvalidInput("intervals_seconds", str(self.intervals_seconds), "needs at least one positive interval")
        if any(s <= 0 for s in self.follow_up_seconds):
            raise InvalidInput("follow_up_seconds", str(self.follow_up_seconds), "must all be positive")
        if self.max_resends < 0:
            raise InvalidInput("max_resends", str(self.max_resends), "must be >= 0")

    def interval(self, queries: int) -> int:
        return self.intervals_seconds[min(queries, len(self.intervals_seconds) - 1)]

    def follow_up(self, done: int, now: datetime) -> datetime | None:
        """When the follow-up query after `done` earlier ones is due; None when the schedule is over."""
        if done >= len(self.follow_up_seconds):
            return None
        return now + timedelta(seconds=self.follow_up_seconds[done])
