"""The release shipped with the package (data/default): what cardbin serves when no database is configured.

A release bundle (`cardbin.release.bundle`: Parquet per table, release.json with checksums), written by
scripts/build_default_data.py through the same pipeline as a monthly load, and checked like any bundle when read.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from cardbin.banks import BankDirectory
from cardbin.errors import ReleaseNotFound
from cardbin.paths import DEFAULT_RELEASE_DIR
from cardbin.release.bundle import MANIFEST, read_bundle
from cardbin.release.schema import TABLES, ReleaseData, conform

HEAD_OFFICE_SOURCE = "bank_directory"


def merge_bins(primary: pl.DataFrame, secondary: pl.DataFrame) -> pl.DataFrame:
    """`primary`'s rows, then `secondary`'s rows for (BIN, PAN length) keys `primary` lacks: the stated precedence.

    Both are canonical BIN frames whose `source` column names where each row comes from; it is kept.
    """
    extra = secondary.join(primary.select("bin", "pan_length").unique(), on=["bin", "pan_length"], how="anti")
    return conform("bins", pl.concat([conform("bins", primary), conform("bins", extra)]))


def with_head_offices(branches: pl.DataFrame, directory: BankDirectory) -> pl.DataFrame:
    """The directory's head-office 联行号 the branch table lacks, added as branches (source ``bank_directory``).

    Their city is the one the code names (digits 4–7): head offices have no other in the directory.
    """
    known = set(branches["cnaps_code"])
    rows = [
        {
            "cnaps_code": bank.head_office_cnaps,
            "name": bank.name,
            "bank_category": bank.head_office_cnaps[:3],
            "bank_name": bank.name,
            "clearing_code": bank.head_office_cnaps,
            "city_code": bank.head_office_cnaps[3:7],
            "source": HEAD_OFFICE_SOURCE,
        }
        for bank in directory.banks
        if bank.head_office_cnaps and bank.head_office_cnaps not in known
    ]
    added = pl.DataFrame(rows, schema=TABLES["branches"])
    return conform("branches", pl.concat([conform("branches", branches), added])).sort("cnaps_code")


def read_default(directory: Path) -> ReleaseData:
    """The bundle in `directory`, with the hint to build it when there is none."""
    if not (directory / MANIFEST).is_file():
        raise ReleaseNotFound(f"no bundled release in {directory} (run scripts/build_default_data.py)")
    return read_bundle(directory)


@cache
def default_release() -> ReleaseData:
    """The bundled release, read once per process."""
    return read_default(DEFAULT_RELEASE_DIR)
