"""Weighted random choice among eligible channels, reproducible from a seeded `random.Random`."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from payout_core.routing.channels import ChannelRoute


def choose(candidates: Sequence[ChannelRoute], rng: random.Random) -> ChannelRoute | None:
    """None when no candidate has a positive weight. Candidates are taken in name order so a seed fixes the pick."""
    weighted = sorted((c for c in candidates if c.weight > 0), key=lambda c: c.name)
    if not weighted:
        return None
    return rng.choices(weighted, weights=[c.weight for c in weighted])[0]


def choose_eligible(
    candidates: Sequence[ChannelRoute], rng: random.Random, refusals_of: Callable[[ChannelRoute], list[str]]
) -> tuple[ChannelRoute | None, list[str]]:
    """Draw by weight, check only the drawn channel, drop it if refused and draw again.

    Each draw that lands on an eligible channel picks it with probability weight / total eligible weight, so this
    is exactly the weighted choice among eligible channels, at the cost of one eligibility check in the usual case
    instead of one per channel. Returns the pick (or None) and the reasons of every refused channel.
    """
    remaining = list(candidates)
    reasons: list[str] = []
    while (chosen := choose(remaining, rng)) is not None:
        refused = refusals_of(chosen)
        if not refused:
            return chosen, reasons
        reasons.append(f"{chosen.name}: {', '.join(refused)}")
        remaining.remove(chosen)
    return None, reasons
