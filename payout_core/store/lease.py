"""Leases: how workers claim work in the database, so two never act on one row and a dead one's work comes back.

A lease is a row's `lease_owner` and `lease_until` (migration 0031). A worker claims rows whose lease has passed
(or was never taken) in one statement — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent claimers pass each
other's rows by; on SQLite the statement runs under the single writer's lock — and releases them when done. Lease
instants are wall-clock time, never a simulation's business clock: a lease is about whether a process is alive.
Hosts that share a store keep their clocks in sync (NTP); a lease lasts far longer than any skew.
"""

from __future__ import annotations

import os
import socket
import time
import uuid

import msgspec

from payout_core.errors import InvalidInput


def wall_micros() -> int:
    """Now, in microseconds since the epoch UTC, by the host's clock (what lease instants are written in)."""
    return time.time_ns() // 1000


def worker_id() -> str:
    """Unique per worker: host, process and a random part (threads of one process are separate workers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease(msgspec.Struct, frozen=True, kw_only=True):
    """Who claims (`owner`) and for how long: longer than the longest an item may be held (the channel's timeout
    included), so a live worker's lease never passes while it works."""

    owner: str
    seconds: float

    def __post_init__(self) -> None:
        if not self.owner or len(self.owner) > 200:
            raise InvalidInput("lease owner", self.owner, "must be 1 to 200 characters")
        if not self.seconds > 0:
            raise InvalidInput("lease seconds", str(self.seconds), "must be positive")

    def until(self, now: int) -> int:
        """When a lease taken at `now` (wall micros) passes."""
        return now + int(self.seconds * 1_000_000)
