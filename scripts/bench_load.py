"""Benchmark a full-size monthly load: 5,000 BIN rows + 150,000 CNAPS rows (valid check digits).

Times read + validation + store + diff into a fresh DuckDB file (what `cardbin release load` does) and
prints the median of a few runs, next to a baseline from the same run: polars merely reading the same
two CSV files, the floor any loader pays. Target: ≤ 10 s on a 2-core machine.

    .venv/bin/python scripts/bench_load.py [--runs 3] [--bins 5000] [--branches 150000]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from cardbin import cnaps
from cardbin.release.build import Inputs
from cardbin.sources import read_cities
from cardbin.store import ReleaseStore

ROOT = Path(__file__).resolve().parent.parent
CITIES = ROOT / "data" / "raw" / "gweesin-cnaps" / "cities.json"
HEADER = ["发卡行名称", "机构代码", "卡名", "主账号长度", "主账号", "发卡行标识长度", "发卡行标识取值", "卡种"]
ISSUERS = [("工商银行", "01020000"), ("农业银行", "01030000"), ("中国银行", "01040000"), ("建设银行", "01050000")]
CARD_TYPES = ["借记卡", "贷记卡", "准贷记卡", "预付费卡"]
CATEGORIES = ["102", "103", "104", "105", "301", "308", "313", "314", "402", "403"]


def generate(directory: Path, bins: int, branches: int, rng: random.Random) -> tuple[Path, Path]:
    """A GBK UnionPay table with a title row, and a UTF-8 CNAPS table with Chinese headers."""
    table = directory / "卡表.csv"
    seen: set[str] = set()
    with table.open("w", encoding="gbk", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["中国银联跨行交易卡表"])
        writer.writerow(HEADER)
        while len(seen) < bins:
            bin_ = "62" + "".join(rng.choice("0123456789") for _ in range(rng.choice((4, 6, 7))))
            if bin_ in seen:
                continue
            seen.add(bin_)
            name, code = rng.choice(ISSUERS)
            length = rng.choice((16, 19))
            pattern = bin_ + "x" * (length - len(bin_))
            writer.writerow([name, code, "--", length, pattern, len(bin_), bin_, rng.choice(CARD_TYPES)])
    city_codes = read_cities(CITIES).frame["city_code"].to_list()
    table_cnaps = directory / "联行号.csv"
    with table_cnaps.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["行号", "行名", "行别", "清算行号", "城市代码"])
        sequence: dict[tuple[str, str], int] = {}
        for i in range(branches):
            category, city = rng.choice(CATEGORIES), rng.choice(city_codes)
            sequence[category, city] = n = sequence.get((category, city), 0) + 1
            first11 = f"{category}{city}{n:04d}"
            code = first11 + cnaps.check_digit(first11)
            head = category + "10000000"
            writer.writerow([code, f"测试银行第{i}支行", category, head + cnaps.check_digit(head), city])
    return table, table_cnaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bins", type=int, default=5000)
    parser.add_argument("--branches", type=int, default=150_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        bin_table, cnaps_table = generate(directory, args.bins, args.branches, random.Random(20261126))
        baseline, loads, cpus = [], [], []
        for run in range(args.runs):
            started = time.perf_counter()
            pl.read_csv(bin_table, encoding="utf8-lossy", skip_rows=1, infer_schema=False)
            pl.read_csv(cnaps_table, infer_schema=False)
            baseline.append(time.perf_counter() - started)

            store = ReleaseStore(directory / f"bench-{run}.duckdb")
            started, cpu = time.perf_counter(), time.process_time()
            store.load("2026-11", Inputs(bin_table=bin_table, cnaps_table=cnaps_table, cities=CITIES))
            diff = store.diff(None, "2026-11")
            loads.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            assert len(diff.branches.added) == args.branches
    print(f"load + validation + diff of {args.bins:,} BIN rows + {args.branches:,} CNAPS rows, {args.runs} runs")
    print(f"  median {statistics.median(loads):.2f} s   (runs: {', '.join(f'{t:.2f}' for t in loads)})")
    print(f"  CPU time (all threads): median {statistics.median(cpus):.2f} s, which a busy machine inflates less")
    print(f"  baseline, polars reading the same two files: median {statistics.median(baseline):.3f} s")


if __name__ == "__main__":
    main()
