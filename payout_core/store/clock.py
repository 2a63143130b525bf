"""Instants as integer microseconds UTC: one representation that sorts and compares the same on both back ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from payout_core.errors import InvalidInput

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Clock = Callable[[], datetime]  # what every component that stamps times is given (tests pass a settable one)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_micros(instant: datetime) -> int:
    """Naive datetimes are refused: a wrong timezone would silently shift every daily balance."""
    if instant.tzinfo is None:
        raise InvalidInput("instant", instant.isoformat(), "must be timezone-aware")
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
