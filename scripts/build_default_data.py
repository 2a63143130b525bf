"""Build data/default/ (the bundled release) from the MIT raw files in data/raw/ only.

aespark's bankBIN.txt gives the BINs (no 机构代码: bank codes come from the issuer name, else from
hexindai's bin.csv where BIN, PAN length and card type agree), gweesin's sample gives branches and its
cities.json the city codes. The files go through the same readers and validation as a monthly load.

    .venv/bin/python scripts/build_default_data.py [--month 2023-08]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from cardbin.errors import LoadRefused
from cardbin.release.build import Built, Inputs, build_release
from cardbin.release.bundled import write_bundle
from cardbin.resolve.coverage import release_coverage
from cardbin.sources import read_alipay_codes
from cardbin.validate import Report, print_report

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
# aespark 1.5 (2023-08) is the newest of the sources.
DEFAULT_MONTH = "2023-08"


def build(month: str = DEFAULT_MONTH) -> Built:
    """The bundled release, built from data/raw/ by the monthly-load pipeline (LoadRefused if a file is broken)."""
    inputs = Inputs(
        bin_table=RAW / "aespark" / "bankBIN.txt",
        cnaps_table=RAW / "gweesin-cnaps" / "cnaps-sample.csv",
        cities=RAW / "gweesin-cnaps" / "cities.json",
    )
    fallback = read_alipay_codes(RAW / "hexindai-bcbc" / "bin.csv").frame
    return build_release(month, inputs, bank_code_fallback=fallback)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default=DEFAULT_MONTH)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "default")
    args = parser.parse_args()
    console = Console()
    try:
        built = build(args.month)
    except LoadRefused as refused:
        assert isinstance(refused.report, Report)
        print_report(refused.report, console)
        raise SystemExit(1) from refused
    print_report(built.report, console, limit=20)
    manifest = write_bundle(built.release, args.out, release_coverage(built.release))
    bins = built.release.bins
    console.print(
        f"wrote {args.out}: month {manifest.month}, {manifest.counts}; "
        f"{bins['bank_code'].is_not_null().sum()}/{bins.height} BIN rows have a bank code"
    )


if __name__ == "__main__":
    main()
