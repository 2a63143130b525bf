"""Benchmark: recipients validated per second in-process, enrichment included, beside baselines from the same run.

    .venv/bin/python scripts/bench_validate.py [--rows 20000] [--repeats 5] [--channel alipay_bankcard]

Recipients are realistic: card numbers drawn from the bundled release's BIN rows, names drawn from common
surnames and given-name characters, one in ten a minority name with a look-alike dot, full-width text or stray
spaces; no bank fields (so prepare has to derive them).
Timed, as medians of the repeats:
  - baseline: `Resolver.lookup` alone, the enrichment cardbin does for each recipient anyway;
  - `validate` alone (no enrichment);
  - `prepare` = normalise + lookup + fill + every check (the figure the target of 50,000/s is about).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import bin_lengths, median_seconds, random_card

from cardbin.resolve import Resolver
from payout_core import PrepareError, Recipient, channel, prepare, validate

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
# Minority and foreign names with the look-alike dots, full-width text and stray spaces people type.
SPECIAL = ["买买提•艾力", "阿不都・热合曼", "古丽．努尔", "王　芳", "ＬＩ　ＬＥＩ", " 李 娜 "]


def make_name(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(SPECIAL)
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))


def make_recipients(resolver: Resolver, rows: int, seed: int = 1) -> list[Recipient]:
    rng = random.Random(seed)
    table = bin_lengths(resolver, "debit")
    out = []
    for _ in range(rows):
        card = random_card(rng, table)
        out.append(
            Recipient(name=make_name(rng), account_no=card, account_type="personal", amount=rng.randrange(1, 2_000_000))
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--channel", default="alipay_bankcard")
    args = parser.parse_args()
    resolver = Resolver.open()
    profile = channel(args.channel)
    recipients = make_recipients(resolver, args.rows)

    def lookups() -> None:
        for r in recipients:
            resolver.lookup(r.account_no)

    def validations() -> None:
        for r in recipients:
            validate(r, profile)

    refused = 0

    def preparations() -> None:
        nonlocal refused
        refused = 0
        for r in recipients:
            try:
                prepare(r, profile, resolver)
            except PrepareError:
                refused += 1

    print(f"{args.rows} recipients, channel {args.channel}, median of {args.repeats} runs")
    for label, fn in (
        ("baseline: Resolver.lookup only", lookups),
        ("validate (no enrichment)", validations),
        ("prepare (normalise + lookup + fill + checks)", preparations),
    ):
        seconds = median_seconds(fn, args.repeats)
        print(f"  {label:<46} {args.rows / seconds:>10,.0f} /s  ({seconds * 1e6 / args.rows:.1f} µs each)")
    print(f"  prepare refused {refused} of {args.rows} (banks {args.channel} cannot pay, BIN length mismatches)")


if __name__ == "__main__":
    main()
