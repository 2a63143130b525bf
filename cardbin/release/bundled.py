"""The release shipped with the package (data/default): what cardbin serves when no database is configured.

Stored as one zstd Parquet file per canonical table plus release.json (month, build time, source files),
written by scripts/build_default_data.py through the same pipeline as a monthly load.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import msgspec
import polars as pl

from cardbin.banks import BankDirectory
from cardbin.errors import ReleaseNotFound
from cardbin.model import Coverage, SourceFile
from cardbin.paths import DEFAULT_RELEASE_DIR
from cardbin.release.schema import TABLES, ReleaseData, conform

MANIFEST = "release.json"
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


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    built_at: str
    sources: list[SourceFile]
    counts: dict[str, int]
    coverage: Coverage | None = None


def write_bundle(release: ReleaseData, directory: Path, coverage: Coverage | None = None) -> Manifest:
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table in TABLES:
        frame: pl.DataFrame = getattr(release, table)
        frame.write_parquet(directory / f"{table}.parquet", compression="zstd", compression_level=19)
        counts[table] = frame.height
    manifest = Manifest(
        month=release.month,
        built_at=release.loaded_at,
        sources=list(release.sources),
        counts=counts,
        coverage=coverage,
    )
    (directory / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    return manifest


def read_bundle(directory: Path) -> ReleaseData:
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ReleaseNotFound(f"no bundled release in {directory} (run scripts/build_default_data.py)")
    manifest = msgspec.json.decode(manifest_path.read_bytes(), type=Manifest)
    tables = {table: conform(table, pl.read_parquet(directory / f"{table}.parquet")) for table in TABLES}
    return ReleaseData(
        month=manifest.month,
        loaded_at=manifest.built_at,
        sources=tuple(manifest.sources),
        bins=tables["bins"],
        branches=tables["branches"],
        cities=tables["cities"],
        segments=tables["segments"],
    )


@cache
def default_release() -> ReleaseData:
    """The bundled release, read once per process."""
    return read_bundle(DEFAULT_RELEASE_DIR)
