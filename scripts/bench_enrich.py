"""Benchmark: `enrich` on N card numbers, beside a bare polars join measured in the same run.

    .venv/bin/python scripts/bench_enrich.py [--rows 1000000] [--repeats 3] [--bad 0.01]

Cards are drawn from the bundled release's BIN rows (their own length, random account digits); a share `--bad`
of rows is malformed. Timed: `Enricher.frame` in memory (the vectorised core) and `enrich_file` Parquet → Parquet
(read, enrich, write; progress bar off). Two baselines from the same run let the figures survive a noisy machine:
the cheapest conceivable BIN step (slice 6 digits, left-join a 6-digit BIN table) and the I/O floor (read the
input Parquet and write it back unchanged). Medians of the repeats, wall time and CPU time (all threads): on a
shared machine the CPU time shows the work done when the wall time only shows the load.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import bin_lengths, median_times, random_card

from cardbin import Resolver
from cardbin.resolve.enrich import Enricher, enrich_file


def make_cards(resolver: Resolver, rows: int, bad_share: float, seed: int = 1) -> pl.DataFrame:
    rng = random.Random(seed)
    table = bin_lengths(resolver)
    cards = [random_card(rng, table) for _ in range(rows)]
    for i in rng.sample(range(rows), int(rows * bad_share)):
        cards[i] = cards[i][:11] if i % 2 else cards[i][:8] + "x" + cards[i][9:]
    return pl.DataFrame({"id": range(rows), "card_number": cards})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bad", type=float, default=0.01)
    args = parser.parse_args()
    resolver = Resolver.open()
    frame = make_cards(resolver, args.rows, args.bad)
    six = pl.DataFrame({"bin": [b for b in resolver.index.rows_by_bin if len(b) == 6]}).with_columns(hit=pl.lit(True))

    def baseline() -> object:
        return frame.with_columns(bin=pl.col("card_number").str.head(6)).join(six, on="bin", how="left")

    enricher = Enricher(resolver.index)
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "cards.parquet", Path(tmp) / "out.parquet"
        frame.write_parquet(source)
        copy = Path(tmp) / "copy.parquet"
        figures = {
            "baseline: head(6) + join": median_times(baseline, args.repeats),
            "baseline I/O: read + write input": median_times(
                lambda: pl.read_parquet(source).write_parquet(copy), args.repeats
            ),
            "Enricher.frame (in memory)": median_times(lambda: enricher.frame(frame), args.repeats),
            "enrich_file parquet → parquet": median_times(
                lambda: enrich_file(source, target, resolver.index, progress=False), args.repeats
            ),
        }
        errors = pl.read_parquet(target)["error"].is_not_null().sum()
    print(f"release {resolver.release}, {args.rows:,} cards ({errors:,} with an error), median of {args.repeats} runs")
    print(f"{'':34s} {'wall':>9s} {'M cards/s':>10s} {'CPU':>9s}")
    for name, (wall, cpu) in figures.items():
        print(f"{name:34s} {wall:7.3f} s {args.rows / wall / 1e6:10.2f} {cpu:7.3f} s")
    full = figures["enrich_file parquet → parquet"][0]
    print(f"extrapolated to 10M cards: {full * 10_000_000 / args.rows:.1f} s end to end")
    print(f"enrich_file / baseline: {full / figures['baseline: head(6) + join'][0]:.1f}x")


if __name__ == "__main__":
    main()
