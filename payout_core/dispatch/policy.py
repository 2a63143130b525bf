"""How often in-progress orders are queried and when a person must look: the knobs, in one place."""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        if not self.intervals_seconds or min(self.intervals_seconds) <= 0:
            raise InvalidInput("intervals_seconds", str(self.intervals_seconds), "needs at least one positive interval")
        if self.max_resends < 0:
            raise InvalidInput("max_resends", str(self.max_resends), "must be >= 0")

    def interval(self, queries: int) -> int:
        return self.intervals_seconds[min(queries, len(self.intervals_seconds) - 1)]
