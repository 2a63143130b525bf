"""Helpers the benchmark scripts share: median timing, and card numbers drawn from the bundled release's BINs.

Imported as `_bench` by scripts run as `python scripts/NAME.py` (their own folder is first on sys.path).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from cardbin.resolve import Resolver


def median_times(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (every thread of this process) of `repeats` runs of `fn`.

    On a machine shared with other work, wall time swings with the load; CPU time far less."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    return median_times(fn, repeats)[0]


def bin_lengths(resolver: Resolver, card_type: str | None = None) -> list[tuple[str, int]]:
    """(BIN, card length) of every BIN row shorter than its cards, optionally of one card type."""
    return [
        (b, row.record.pan_length)
        for b, rs in resolver.index.rows_by_bin.items()
        for row in rs
        if len(b) < row.record.pan_length and (card_type is None or row.record.card_type == card_type)
    ]


def random_card(rng: random.Random, table: list[tuple[str, int]]) -> str:
    """A card number of a random (BIN, length) from `table`, random account digits (Luhn not enforced)."""
    bin_, length = rng.choice(table)
    return bin_ + str(rng.randrange(10**18)).zfill(18)[: length - len(bin_)]
