"""Release bundles: one month's canonical tables as Parquet files and a manifest, in a directory of their own.

    <bundle>/release.json     month, built_at, sources, counts, coverage, and per file its sha256, bytes and rows
    <bundle>/bins.parquet     one zstd Parquet file per table of `cardbin.release.schema.TABLES`

The bundled release (data/default) is one; `cardbin release publish` writes one per month into a destination that
replicas follow (`cardbin.publish`). Any Parquet reader opens the tables (DuckDB: ``read_parquet('<bundle>/bins.
parquet')``). A bundle is read whole and checked before use: every file's SHA-256, size and row count must be the
manifest's (and the manifest's own SHA-256 the one its publisher recorded, when given), so a truncated, corrupted
or half-copied bundle is refused, never served. The bytes checked are the bytes parsed: nothing is read twice.

A bundle is read from a directory or an http(s) URL. DuckDB reads http(s) and object stores through its httpfs
extension, which is downloaded from DuckDB's own site and cannot be installed from the package registries (the
PyPI builds of it trail DuckDB 2.0), so URLs are fetched with httpx.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import msgspec
import polars as pl

from cardbin.errors import BundleBroken, BundleUnavailable
from cardbin.model import Coverage, SourceFile
from cardbin.release.schema import TABLES, ReleaseData, conform

MANIFEST = "release.json"
FORMAT = 1
FETCH_TIMEOUT = 30.0  # seconds for one file of a bundle over HTTP


class FileEntry(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    bytes: int
    rows: int


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    format: int
    month: str
    built_at: str
    sources: list[SourceFile]
    counts: dict[str, int]
    files: dict[str, FileEntry]
    coverage: Coverage | None = None


def encode(value: object) -> bytes:
    """The JSON of a manifest or pointer as written: indented, one trailing newline (stable bytes, stable hash)."""
    return msgspec.json.format(msgspec.json.encode(value)) + b"\n"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def table_file(table: str) -> str:
    return f"{table}.parquet"


def bundle_files(release: ReleaseData, coverage: Coverage | None = None) -> tuple[Manifest, dict[str, bytes]]:
    """The bundle of `release` in memory: its manifest and the bytes of each file (the same frames give the same
    bytes, so publishing a month again can tell an identical bundle from a different one)."""
    files: dict[str, bytes] = {}
    entries: dict[str, FileEntry] = {}
    for table in TABLES:
        frame: pl.DataFrame = conform(table, getattr(release, table))
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd", compression_level=19)
        data = files[table_file(table)] = buffer.getvalue()
        entries[table_file(table)] = FileEntry(sha256=digest(data), bytes=len(data), rows=frame.height)
    manifest = Manifest(
        format=FORMAT,
        month=release.month,
        built_at=release.loaded_at,
        sources=list(release.sources),
        counts={table: entries[table_file(table)].rows for table in TABLES},
        files=entries,
        coverage=coverage,
    )
    files[MANIFEST] = encode(manifest)
    return manifest, files


def write_bundle(release: ReleaseData, directory: Path, coverage: Coverage | None = None) -> Manifest:
    """Write the bundle of `release` into `directory` (created), the manifest last."""
    manifest, files = bundle_files(release, coverage)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if name != MANIFEST:
            (directory / name).write_bytes(data)
    (directory / MANIFEST).write_bytes(files[MANIFEST])
    return manifest


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(("http://", "https://"))


def join(location: str | Path, *names: str) -> str | Path:
    """`location`/`names` for a directory or a URL."""
    if is_url(location):
        return "/".join([str(location).rstrip("/"), *names])
    return Path(location).joinpath(*names)


def fetch(location: str | Path, *, missing_ok: bool = False) -> bytes | None:
    """The bytes of a file or URL; None for a missing one when `missing_ok`; else BundleUnavailable saying why."""
    import httpx  # only bundles on HTTP need it: `cardbin lookup` starts without it

    try:
        if is_url(location):
            response = httpx.get(str(location), timeout=FETCH_TIMEOUT)
            if response.status_code == 404 and missing_ok:
                return None
            response.raise_for_status()
            return response.content
        return Path(location).read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise BundleUnavailable(f"{location}: no such file") from None
    except (OSError, httpx.HTTPError) as exc:
        raise BundleUnavailable(f"{location}: cannot be read ({type(exc).__name__}: {exc})") from exc


def read_manifest(location: str | Path, expect_sha256: str | None = None) -> Manifest:
    """The manifest of the bundle at `location`, checked against `expect_sha256` when given."""
    path = join(location, MANIFEST)
    data = fetch(path)
    assert data is not None
    if expect_sha256 is not None and digest(data) != expect_sha256:
        raise BundleBroken(f"{path}: sha256 {digest(data)} is not the published {expect_sha256}")
    try:
        manifest = msgspec.json.decode(data, type=Manifest)
    except msgspec.DecodeError as exc:
        raise BundleBroken(f"{path}: not a bundle manifest ({exc})") from exc
    if manifest.format != FORMAT:
        raise BundleBroken(f"{path}: bundle format {manifest.format}; this cardbin reads format {FORMAT}")
    return manifest


def read_bundle(location: str | Path, expect_sha256: str | None = None) -> ReleaseData:
    """All tables of the bundle at `location`, every file checked against the manifest (BundleBroken if not)."""
    manifest = read_manifest(location, expect_sha256)
    tables = {}
    for table in TABLES:
        path = join(location, table_file(table))
        entry = manifest.files.get(table_file(table))
        if entry is None:
            raise BundleBroken(f"{join(location, MANIFEST)}: lists no {table_file(table)}")
        data = fetch(path)
        assert data is not None
        if len(data) != entry.bytes or digest(data) != entry.sha256:
            raise BundleBroken(
                f"{path}: {len(data)} bytes, sha256 {digest(data)}; the manifest says {entry.bytes} bytes, "
                f"sha256 {entry.sha256}"
            )
        frame = conform(table, pl.read_parquet(io.BytesIO(data)))
        if frame.height != entry.rows:
            raise BundleBroken(f"{path}: {frame.height} rows; the manifest says {entry.rows}")
        tables[table] = frame
    return ReleaseData(
        month=manifest.month,
        loaded_at=manifest.built_at,
        sources=tuple(manifest.sources),
        bins=tables["bins"],
        branches=tables["branches"],
        cities=tables["cities"],
        segments=tables["segments"],
    )
