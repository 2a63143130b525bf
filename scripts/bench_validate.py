"""Benchmark: recipients validated and prepared per second in-process, beside baselines from the same run.

    .venv/bin/python scripts/bench_validate.py [--rows 20000] [--repeats 5] [--channel alipay_bankcard]

Recipients are realistic: card numbers drawn from the bundled release's BIN rows, names drawn from common
surnames and given-name characters, one in ten a minority name with a look-alike dot, full-width text or stray
spaces; a purpose on every payout, a 身份证 and mobile number on one in four (the channels that take them check
them); no bank fields (so prepare has to derive them, and validate's BIN check has nothing to contradict).
Timed, as medians of the rounds (each round times every case once, interleaved):
  - baseline: building the Recipient alone (msgspec Struct construction, what every caller pays anyway);
  - `Resolver.lookup` alone, the enrichment cardbin does for each recipient anyway;
  - `validate(..., bin_check=False)`, and `validate` with the BIN check on the bundled release (the same resolver);
  - `prepare` = normalise + lookup + fill + every check (the figure the target of 50,000/s is about).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import bin_lengths, median_seconds, random_card

from cardbin.resolve import Resolver
from payout_core import PrepareError, Recipient, channel, prepare, validate

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
# Minority and foreign names with the look-alike dots, full-width text and stray spaces people type.
SPECIAL = ["买买提•艾力", "阿不都・热合曼", "古丽．努尔", "王　芳", "ＬＩ　ＬＥＩ", " 李 娜 ", "MARY-JANE O'NEIL"]
ID_NUMBERS = ["11010519491231002X", "110105 19491231 002X", "440304198001011239", "110105491231002"]
MOBILES = ["13800138000", "+86 139 1234 5678", "138-0013-8000"]


def make_name(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(SPECIAL)
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))


def make_fields(resolver: Resolver, rows: int, seed: int = 1) -> list[dict[str, object]]:
    """The recipients' fields, as a payout file's decoder hands them over."""
    rng = random.Random(seed)
    table = bin_lengths(resolver, "debit")
    out: list[dict[str, object]] = []
    for _ in range(rows):
        personal = rng.random() < 0.25
        out.append(
            {
                "name": make_name(rng),
                "account_no": random_card(rng, table),
                "account_type": "personal",
                "amount": rng.randrange(10, 2_000_000),
                "purpose": "劳务报酬",
                "id_no": rng.choice(ID_NUMBERS) if personal else None,
                "mobile": rng.choice(MOBILES) if personal else None,
            }
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
    fields = make_fields(resolver, args.rows)
    recipients = [Recipient(**f) for f in fields]  # type: ignore[arg-type]

    def build() -> None:
        for f in fields:
            Recipient(**f)  # type: ignore[arg-type]

    def lookups() -> None:
        for r in recipients:
            resolver.lookup(r.account_no)

    def validations() -> None:
        for r in recipients:
            validate(r, profile, bin_check=False)

    def checked_validations() -> None:
        for r in recipients:
            validate(r, profile, resolver)  # the process's one resolver, as validate's default would be

    refused = 0

    def preparations() -> None:
        nonlocal refused
        refused = 0
        for r in recipients:
            try:
                prepare(r, profile, resolver)
            except PrepareError:
                refused += 1

    print(f"{args.rows} recipients, channel {args.channel}, median of {args.repeats} rounds")
    cases = (
        ("baseline: building the Recipient alone", build),
        ("Resolver.lookup alone", lookups),
        ("validate, bin_check=False", validations),
        ("validate with the BIN check", checked_validations),
        ("prepare (normalise + lookup + fill + checks)", preparations),
    )
    # Interleaved: each round times every case once, so a burst of load on the shared machine hits them alike.
    timings: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _ in range(args.repeats):
        for label, fn in cases:
            timings[label].append(median_seconds(fn, 1))
    base = statistics.median(timings[cases[0][0]])
    for label, _ in cases:
        seconds = statistics.median(timings[label])
        rate = args.rows / seconds
        print(f"  {label:<46} {rate:>10,.0f} /s  ({seconds * 1e6 / args.rows:5.1f} µs each, {seconds / base:5.1f}x)")
    print(f"  prepare refused {refused} of {args.rows} (banks {args.channel} cannot pay, BIN length mismatches)")


if __name__ == "__main__":
    main()
