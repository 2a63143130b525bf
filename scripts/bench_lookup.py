"""Benchmark: single in-process Resolver.lookup, beside a plain dict lookup measured in the same run.

    .venv/bin/python scripts/bench_lookup.py [--cards 20000] [--repeats 7] [--release bundled|unionpay]

`unionpay` uses the 2018 UnionPay table copy in tests/fixtures (test input only) whose 机构代码 give regions, and
times only cards whose answer has a region and a 联行号. Figures are medians over batches of 100 calls, so the
batches the OS preempted on a busy machine do not count; the baseline (`dict.get(card[:6])` over the same cards)
shows how fast this machine is right now. The pan primitives every lookup calls are timed too, to show where the
time goes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cardbin import Resolver, pan


def per_call_us(fn: Callable[[str], object], cards: list[str], repeats: int, batch: int = 100) -> float:
    """Median over batches of `batch` calls (all repeats): a batch the OS preempted is an outlier, not the median."""
    timings = []
    for _ in range(repeats):
        for start in range(0, len(cards), batch):
            chunk = cards[start : start + batch]
            began = time.perf_counter()
            for number in chunk:
                fn(number)
            timings.append((time.perf_counter() - began) / len(chunk) * 1e6)
    return statistics.median(timings)


def make_cards(resolver: Resolver, count: int, *, regional_only: bool) -> list[str]:
    """Luhn-valid cards on the release's BINs, each of its row's length."""
    rng = random.Random(1)
    rows = [row.record for rows in resolver.index.rows_by_bin.values() for row in rows]
    cards: list[str] = []
    while len(cards) < count:
        record = rng.choice(rows)
        body = record.bin + "".join(rng.choice("0123456789") for _ in range(record.pan_length - len(record.bin) - 1))
        number = next(body + d for d in "0123456789" if pan.luhn_valid(body + d))
        if regional_only:
            info = resolver.lookup(number)
            if info.city is None or info.cnaps_code is None:
                continue
        cards.append(number)
    return cards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--release", choices=["bundled", "unionpay"], default="bundled")
    args = parser.parse_args()
    if args.release == "unionpay":
        from tests.cardbin.builders import cocolian_resolver

        resolver = cocolian_resolver()
    else:
        resolver = Resolver.open()
    cards = make_cards(resolver, args.cards, regional_only=args.release == "unionpay")
    baseline_table = {number[:6]: number for number in cards}

    figures = {
        "baseline dict.get(card[:6])": per_call_us(lambda c: baseline_table.get(c[:6]), cards, args.repeats),
        "Resolver.lookup": per_call_us(resolver.lookup, cards, args.repeats),
        "  pan.normalize_pan": per_call_us(pan.normalize_pan, cards, args.repeats),
        "  pan.luhn_valid": per_call_us(pan.luhn_valid, cards, args.repeats),
        "  pan.mask_digits": per_call_us(pan.mask_digits, cards, args.repeats),
        "  index.find (BIN probes)": per_call_us(resolver.index.find, cards, args.repeats),
    }
    print(f"release {resolver.release} ({args.release}), {len(cards)} distinct cards, median of {args.repeats} runs")
    for name, value in figures.items():
        print(f"{name:32s} {value:8.3f} µs/call")
    ratio = figures["Resolver.lookup"] / figures["baseline dict.get(card[:6])"]
    print(f"lookup / baseline: {ratio:.1f}x")


if __name__ == "__main__":
    main()
