"""Build data/default/ (the bundled release) from the MIT raw files in data/raw/ only.

BIN rows: aespark's bankBIN.txt first (UnionPay-derived issuer names), then hexindai's bin.csv for every (BIN,
PAN length) aespark lacks (BINs of 6 digits or more: its shorter entries are not ISO BINs); each row keeps its
source (`aespark` / `hexindai`). Neither has a 机构代码: banks come from the issuer name (hexindai's bank code
where aespark's name maps to no bank of the directory), regions from a regional bank's seat at lookup. Branches
are gweesin's CNAPS sample plus the directory's head offices it lacks (source `bank_directory`), cities gweesin's
cities.json. aespark's file goes through the same readers and validation as a monthly load. The release's index
facts (`cardbin.resolve.snapshot`) are written beside its tables; `--index-only` rewrites just those (after a change
to the bank directory or the rules that index a release).

    .venv/bin/python scripts/build_default_data.py [--month 2023-08] [--index-only]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
from pathlib import Path

import polars as pl
from rich.console import Console

from cardbin.banks import default_directory
from cardbin.errors import LoadRefused
from cardbin.model import SourceFile
from cardbin.release.build import Built, Inputs, build_release
from cardbin.release.bundle import read_bundle, write_bundle
from cardbin.release.bundled import merge_bins, with_head_offices
from cardbin.resolve.coverage import release_coverage
from cardbin.resolve.index import ReleaseIndex
from cardbin.resolve.snapshot import write_snapshot
from cardbin.sources import read_alipay_codes
from cardbin.validate import Report, print_report

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
HEXINDAI = RAW / "hexindai-bcbc"
# aespark 1.5 (2023-08) is the newest of the sources.
DEFAULT_MONTH = "2023-08"


def hexindai_bins() -> tuple[pl.DataFrame, SourceFile]:
    """hexindai's rows as canonical BIN rows (issuer name from its name.csv), and the file's provenance."""
    staged = read_alipay_codes(HEXINDAI / "bin.csv")
    with (HEXINDAI / "name.csv").open(encoding="utf-8") as f:
        names = {row["bank"].strip(): row["name"].strip() for row in csv.DictReader(f) if row.get("bank")}
    directory = default_directory()
    frame = staged.frame.filter(
        (pl.col("bin").str.len_chars() >= 6) & pl.col("card_type").is_not_null() & pl.col("pan_length").is_not_null()
    ).with_columns(
        pl.col("bank_code").replace_strict(names, default=pl.col("bank_code")).alias("issuer_name"),
        pl.col("bank_code").replace({code: directory.canonical_code(code) or code for code in names}),
        pl.lit("hexindai").alias("source"),
    )
    return frame, staged.source


def build(month: str = DEFAULT_MONTH) -> Built:
    """The bundled release, built from data/raw/ by the monthly-load pipeline (LoadRefused if a file is broken)."""
    inputs = Inputs(
        bin_table=RAW / "aespark" / "bankBIN.txt",
        cnaps_table=RAW / "gweesin-cnaps" / "cnaps-sample.csv",
        cities=RAW / "gweesin-cnaps" / "cities.json",
    )
    hexindai, provenance = hexindai_bins()
    built = build_release(month, inputs, bank_code_fallback=hexindai)
    release = built.release
    release = dataclasses.replace(
        release,
        bins=merge_bins(release.bins.with_columns(source=pl.lit("aespark")), hexindai).sort(
            "bin", "pan_length", maintain_order=True
        ),
        branches=with_head_offices(release.branches, default_directory()),
        sources=(*release.sources, provenance),
    )
    return Built(release=release, report=built.report)


def write_index(directory: Path, console: Console) -> None:
    """The index facts of the release in `directory`, as read back from its files, beside it."""
    index = ReleaseIndex.build(read_bundle(directory).rows(), default_directory())
    path = write_snapshot(index, directory)
    console.print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default=DEFAULT_MONTH)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "default")
    parser.add_argument("--index-only", action="store_true", help="Rewrite only the index facts of the release.")
    args = parser.parse_args()
    console = Console()
    if args.index_only:
        write_index(args.out, console)
        return
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
        f"{bins.filter(pl.col('source') == 'hexindai').height} BIN rows from hexindai"
    )
    write_index(args.out, console)


if __name__ == "__main__":
    main()
