"""A published destination: immutable bundles per month, a catalog, and an ACTIVE pointer that replicas follow.

    DEST/ACTIVE          {"month", "manifest_sha256", "history"}   the month served, moved atomically
    DEST/releases.json   {"releases": [{"month", "manifest_sha256", "built_at"}, …]}   every bundle published
    DEST/<month>/        a bundle (`cardbin.release.bundle`), never changed once written

`cardbin release publish|activate|rollback --releases DEST` write a local directory, one writer at a time (the
lock file DEST/.ACTIVE.lock). Every object is written whole to a temporary file beside it, flushed to disk and
renamed over its name (atomic on one filesystem: a reader sees the old object or the new one, never a part), in the
order bundle → catalog → pointer, so no reader ever finds a pointer to a bundle that is not complete. The pointer
names the manifest's SHA-256 and the manifest every file's, so a replica checks the whole chain before it serves.

Readers (`cardbin serve --releases DEST`, `cardbin.distributed`) take a directory or the http(s) URL of one served
by any static web server. To serve from an object store (S3, GCS, OSS, Azure Blob), publish into a local directory
and upload it in the same order, ACTIVE last (e.g. ``aws s3 sync DEST s3://b/cardbin --exclude ACTIVE`` then
``aws s3 cp DEST/ACTIVE s3://b/cardbin/ACTIVE``): a PUT replaces an object whole and these stores read their own
writes strongly, so readers see the old pointer or the new one. Replicas read it over HTTPS.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec

from cardbin.errors import BundleBroken, ReleaseError, ReleaseNotFound
from cardbin.model import Coverage, ReleaseInfo
from cardbin.release.bundle import (
    MANIFEST,
    Manifest,
    bundle_files,
    digest,
    encode,
    fetch,
    is_url,
    join,
    read_bundle,
    read_manifest,
)
from cardbin.release.schema import ReleaseData
from cardbin.store.connection import writer_lock
from cardbin.store.releases import HistoryEntry, actor, fsync, now

_T = TypeVar("_T")
ACTIVE = "ACTIVE"
CATALOG = "releases.json"


class Published(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    manifest_sha256: str
    built_at: str


class Catalog(msgspec.Struct, frozen=True, kw_only=True):
    releases: list[Published]


class Pointer(msgspec.Struct, frozen=True, kw_only=True):
    """The month served and its manifest's SHA-256; `history` lists every activation and rollback, oldest first."""

    month: str
    manifest_sha256: str
    history: list[HistoryEntry]


def _write_atomically(path: Path, data: bytes) -> None:
    """`path` holds `data` whole or keeps what it held: a flushed temporary file renamed over it."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with staging.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(staging, path)
        fsync(path.parent)
    except OSError as exc:
        raise ReleaseError(f"{path}: could not be written ({exc.strerror or exc}); it is unchanged") from exc
    finally:
        staging.unlink(missing_ok=True)


def _decode(data: bytes, kind: type[_T], where: str | Path) -> _T:
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as exc:
        raise BundleBroken(f"{where}: not a cardbin {kind.__name__.lower()} ({exc})") from exc


@dataclass(frozen=True)
class Destination:
    """A published destination at `location`: a directory (read and written) or an http(s) URL (read only)."""

    location: str | Path

    @classmethod
    def at(cls, location: str) -> Destination:
        return cls(location if is_url(location) else Path(location))

    def __str__(self) -> str:
        return str(self.location)

    # --- reading (directory or URL) ----------------------------------------------------------------

    def pointer(self) -> Pointer | None:
        """The ACTIVE pointer; None before the first activation."""
        data = fetch(join(self.location, ACTIVE), missing_ok=True)
        return None if data is None else _decode(data, Pointer, join(self.location, ACTIVE))

    def catalog(self) -> list[Published]:
        """Every bundle published, oldest month first (empty before the first)."""
        data = fetch(join(self.location, CATALOG), missing_ok=True)
        return [] if data is None else _decode(data, Catalog, join(self.location, CATALOG)).releases

    def published(self, month: str) -> Published:
        found = next((p for p in self.catalog() if p.month == month), None)
        if found is None:
            raise ReleaseNotFound(f"release {month} is not published in {self}")
        return found

    def manifest(self, month: str) -> Manifest:
        """The manifest of a published month, checked against the SHA-256 the catalog recorded."""
        return read_manifest(join(self.location, month), self.published(month).manifest_sha256)

    def read_release(self, month: str) -> ReleaseData:
        """All tables of a published month, every file checked (BundleBroken if anything differs)."""
        return read_bundle(join(self.location, month), self.published(month).manifest_sha256)

    def list_releases(self, manifests: dict[str, Manifest] | None = None) -> list[ReleaseInfo]:
        """The catalog as ReleaseInfo (`manifests`: those already read, by manifest SHA-256; filled in)."""
        pointer = self.pointer()
        known = {} if manifests is None else manifests
        infos = []
        for published in self.catalog():
            manifest = known.get(published.manifest_sha256)
            if manifest is None:
                manifest = known[published.manifest_sha256] = self.manifest(published.month)
            infos.append(
                ReleaseInfo(
                    month=published.month,
                    loaded_at=manifest.built_at,
                    active=pointer is not None and pointer.month == published.month,
                    sources=manifest.sources,
                    counts=manifest.counts,
                    coverage=manifest.coverage,
                )
            )
        return infos

    def history(self) -> list[HistoryEntry]:
        pointer = self.pointer()
        return [] if pointer is None else pointer.history

    # --- writing (a directory) ---------------------------------------------------------------------

    def _directory(self) -> Path:
        if not isinstance(self.location, Path):
            raise ReleaseError(
                f"{self.location}: releases are published into a directory; upload that directory to the web or "
                "object store (bundles first, ACTIVE last)"
            )
        return self.location

    def publish(self, release: ReleaseData, coverage: Coverage | None = None) -> tuple[Published, bool]:
        """Write the bundle of `release` and list it in the catalog; (entry, False) when the identical bundle was
        published before. A different bundle under the same month is refused: bundles are immutable."""
        root = self._directory()
        root.mkdir(parents=True, exist_ok=True)
        manifest, files = bundle_files(release, coverage)
        entry = Published(month=release.month, manifest_sha256=digest(files[MANIFEST]), built_at=manifest.built_at)
        with writer_lock(root / ACTIVE):
            target = root / release.month
            written = not target.exists()
            if written:
                staging = root / f".{release.month}.{os.getpid()}.partial"
                shutil.rmtree(staging, ignore_errors=True)
                try:
                    staging.mkdir()
                    for name, data in files.items():
                        (staging / name).write_bytes(data)
                        with (staging / name).open("rb") as f:
                            os.fsync(f.fileno())
                    os.rename(staging, target)  # the bundle appears whole under its month, or not at all
                    fsync(root)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
            else:
                existing = digest(fetch(target / MANIFEST) or b"")
                if existing != entry.manifest_sha256:
                    raise ReleaseError(
                        f"release {release.month} is already published in {root} with other content (manifest "
                        f"sha256 {existing}); a published bundle never changes: publish the release as another month"
                    )
            catalog = [p for p in self.catalog() if p.month != release.month]
            releases = sorted([*catalog, entry], key=lambda p: p.month)
            _write_atomically(root / CATALOG, encode(Catalog(releases=releases)))
        return entry, written

    def activate(self, month: str) -> Pointer:
        """Point ACTIVE at a published month (its bundle checked first: a broken bundle is never activated)."""
        root = self._directory()
        with writer_lock(root / ACTIVE):
            published = self.published(month)
            read_bundle(root / month, published.manifest_sha256)
            user, host = actor()
            entry = HistoryEntry(action="activate", month=month, at=now(), user=user, host=host)
            pointer = Pointer(month=month, manifest_sha256=published.manifest_sha256, history=[*self.history(), entry])
            _write_atomically(root / ACTIVE, encode(pointer))
        return pointer

    def rollback(self) -> Pointer:
        """Point ACTIVE back at the month active before the last activation that is still in force."""
        root = self._directory()
        with writer_lock(root / ACTIVE):
            history = self.history()
            stack = _in_force(history)
            if len(stack) < 2:
                raise ReleaseError(f"nothing to roll back to in {root}: no release was active before the current one")
            restored = stack[-2]
            user, host = actor()
            entry = HistoryEntry(action="rollback", month=stack[-1], at=now(), user=user, host=host, restored=restored)
            pointer = Pointer(
                month=restored, manifest_sha256=self.published(restored).manifest_sha256, history=[*history, entry]
            )
            _write_atomically(root / ACTIVE, encode(pointer))
        return pointer


def _in_force(history: list[HistoryEntry]) -> list[str]:
    """The activations not rolled back, oldest first: the last is active, a rollback restores the one before."""
    stack: list[str] = []
    for entry in history:
        if entry.action == "activate":
            stack.append(entry.month)
        elif stack:
            stack.pop()
    return stack
