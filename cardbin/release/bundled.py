"""The release shipped with the package (data/default): what cardbin serves when no database is configured.

Stored as one zstd Parquet file per canonical table plus release.json (month, build time, source files),
written by scripts/build_default_data.py through the same pipeline as a monthly load.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import msgspec
import polars as pl

from cardbin.errors import ReleaseNotFound
from cardbin.model import Coverage, SourceFile
from cardbin.paths import DEFAULT_RELEASE_DIR
from cardbin.release.schema import TABLES, ReleaseData, conform

MANIFEST = "release.json"


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
