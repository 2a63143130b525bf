"""Instants as integer microseconds UTC: one representation that sorts and compares the same on both back ends."""

from __future__ import annotations

from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_micros(instant: datetime) -> int:
    """Naive datetimes are refused: a wrong timezone would silently shift every daily balance."""
    if instant.tzinfo is None:
        raise ValueError(f"instant={instant.isoformat()!r}: must be timezone-aware")
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
