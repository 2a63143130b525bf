"""The release a server answers with, and the watcher that follows the release source it comes from.

A request reads `ServedRelease.current` once and uses that Resolver to the end, so no answer ever mixes two
releases. A new Resolver is built completely in the watcher thread, off the request path, then published by
one reference assignment (atomic under the GIL): requests in flight finish on the old one.

Requests never touch the source: the watcher reads the source's catalog (active month, releases) every
`poll_interval` and keeps it in memory, so `/v1/releases` and `/readyz` cost no DuckDB connection and a flood of
them cannot hold a lock that `release activate` waits for. When the source cannot be read, or the release it names
as active cannot be loaded (a broken bundle), the server reports not-ready (and why) and keeps answering lookups
from the last good release.

A full-size index takes seconds and ~1 GB to build. By default another release is built when it is activated
(the old one answers meanwhile). With `spares=True` the watcher also keeps the newest loaded release built ahead
of activation and the previous one for a rollback: swaps within the poll interval, for the memory of two more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import msgspec

from cardbin.errors import ReleaseNotFound, StoreBusy
from cardbin.model import ReleaseInfo
from cardbin.redact import redact
from cardbin.release.bundle import Manifest
from cardbin.release.schema import ReleaseData
from cardbin.resolve.resolver import Resolver
from cardbin.service.wire import Releases

log = logging.getLogger("cardbin.service.releases")

POLL_INTERVAL = 0.25
BUNDLE_POLL_INTERVAL = 1.0  # a published pointer may sit behind HTTP or an object store: one read a second
CATALOG_EVERY = 2.0  # seconds between re-reads of the release list when the active month has not changed
RETRY_AFTER = 5.0  # a release that failed to build is retried this often, not on every poll


class ReleaseSource(Protocol):
    """Where a server's releases come from: the DuckDB store today; other sources (a published release
    directory) plug in by implementing these three calls. Any exception but StoreBusy means "cannot be read"."""

    def describe(self) -> str: ...

    def active_month(self) -> str | None: ...

    def list_releases(self) -> list[ReleaseInfo]: ...

    def read_release(self, month: str) -> ReleaseData: ...


class StoreSource:
    """The DuckDB release store (`cardbin.store.ReleaseStore`): every call opens one short read-only connection."""

    def __init__(self, db: Path) -> None:
        from cardbin.store import ReleaseStore  # DuckDB only loads when a store is configured

        self._store = ReleaseStore(db)
        self._db = db

    def describe(self) -> str:
        return str(self._db)

    def active_month(self) -> str | None:
        return self._store.active_month()  # StoreUnavailable for a missing, unreadable or corrupt file

    def list_releases(self) -> list[ReleaseInfo]:
        return self._store.list_releases()

    def read_release(self, month: str) -> ReleaseData:
        return self._store.read_release(month)


class BundleSource:
    """A published destination (`cardbin.publish`): a directory or the http(s) URL of one.

    The pointer and the catalog are read at every poll (two small files); manifests once each (they never change);
    a release's bundle is read whole and every file checked against the chain pointer → manifest → files before it
    is built, so a broken or half-copied bundle is refused and the last good release keeps answering.
    """

    def __init__(self, location: str) -> None:
        from cardbin.publish import Destination

        self._destination = Destination.at(location)
        self._manifests: dict[str, Manifest] = {}

    def describe(self) -> str:
        return str(self._destination)

    def active_month(self) -> str | None:
        pointer = self._destination.pointer()
        return None if pointer is None else pointer.month

    def list_releases(self) -> list[ReleaseInfo]:
        return self._destination.list_releases(self._manifests)

    def read_release(self, month: str) -> ReleaseData:
        return self._destination.read_release(month)


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    """`problem` is None when ready; otherwise why not (the source cannot be read, nothing loaded yet)."""

    release: str | None
    problem: str | None = None


class ServedRelease:
    """Either a fixed Resolver (bundled data, tests) or the active release of a ReleaseSource, kept current."""

    current: Resolver

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        source: ReleaseSource | None = None,
        poll_interval: float = POLL_INTERVAL,
        spares: bool = False,
        catalog_every: float = CATALOG_EVERY,
        build: Callable[[ReleaseData], Resolver] = Resolver.from_release,
    ) -> None:
        self._source = source if resolver is None else None
        self._fixed = resolver
        self._build_resolver = build
        self._interval = poll_interval
        self._keep_spares = spares
        self._catalog_every = catalog_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._spares: dict[str, Resolver] = {}
        self._previous: str | None = None
        self._failed: dict[str, tuple[float, str]] = {}  # month → when and why its build last failed
        self._next_catalog = 0.0
        self._catalog: list[ReleaseInfo] = []
        self._problem: str | None = None
        if resolver is not None:
            self.current = resolver

    def start(self) -> None:
        """Load the release now (a server without data fails at start, loudly), then watch the source."""
        if self._source is None:
            if self._fixed is None:
                self.current = Resolver.open()
            return
        month = self._source.active_month()
        if month is None:
            raise ReleaseNotFound(f"{self._source.describe()}: no active release; run `cardbin release activate MONTH`")
        self.current = self._build(month)
        self._catalog = self._source.list_releases()
        self._next_catalog = time.monotonic() + self._catalog_every
        self._thread = threading.Thread(target=self._watch, name="cardbin-release-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def readiness(self) -> Readiness:
        return Readiness(release=self.current.release, problem=self._problem)

    def releases(self) -> Releases:
        """From memory. Raises ReleaseUnavailable while the source cannot be read (the list may be stale)."""
        serving = self.current.release
        if self._source is None:
            info = ReleaseInfo(month=serving, loaded_at="", active=True, sources=[], counts={})
            return Releases(serving=serving, releases=[info])
        if self._problem is not None:
            raise SourceUnreadable(self._problem)
        return Releases(serving=serving, releases=self._catalog)

    def poll(self) -> bool:
        """One watcher step: True when another release was swapped in. A failed read counts as "no change"."""
        assert self._source is not None
        refreshed = False
        try:
            month = self._source.active_month()
            if month != self._active_in_catalog() or time.monotonic() >= self._next_catalog:
                self._catalog = self._source.list_releases()
                self._next_catalog = time.monotonic() + self._catalog_every
                refreshed = True
                # An activation between the two reads: the catalog is the later view, and serving what it marks
                # active keeps one answer of /v1/releases from naming two active months.
                month = self._active_in_catalog() or month
        except StoreBusy:  # a writer holds the file past the bounded wait: not a fault, look again next tick
            log.info("release store busy; still serving %s", self.current.release)
            return False
        except Exception as exc:
            self._report(f"release source {self._source.describe()} cannot be read: {type(exc).__name__}: {exc}")
            return False
        swapped = month is not None and month != self.current.release and self._swap_to(month)
        failure = self._failed.get(month or "")
        if month is not None and month != self.current.release and failure is not None:
            self._report(
                f"release {month} is active in {self._source.describe()} but cannot be loaded ({failure[1]}); "
                f"lookups answer from release {self.current.release}"
            )
        else:
            self._report(None)
        if self._keep_spares and refreshed:
            self._prepare_standby()
        return swapped

    def _active_in_catalog(self) -> str | None:
        return next((r.month for r in self._catalog if r.active), None)

    def _report(self, problem: str | None) -> None:
        """Log each change of readiness once: a WARNING when the source becomes unreadable, INFO when it recovers."""
        if problem == self._problem:
            return
        if problem is None:
            log.info("release source readable again; ready")
        else:
            log.warning("not ready: %s; lookups still answer from release %s", problem, self.current.release)
        self._problem = None if problem is None else redact(problem)

    def _swap_to(self, month: str) -> bool:
        resolver = self._spares.pop(month, None) or self._try_build(month)
        if resolver is None:
            return False
        previous, self.current = self.current, resolver
        if self._keep_spares:
            self._spares[previous.release] = previous
            self._previous = previous.release
            self._trim()
        log.info("now serving release %s (was %s)", month, previous.release)
        return True

    def _prepare_standby(self) -> None:
        """Build the newest loaded release ahead of its activation (looked for at each catalog refresh)."""
        newest = max((r.month for r in self._catalog), default=None)
        if newest is None or newest == self.current.release or newest in self._spares:
            return
        resolver = self._try_build(newest)
        if resolver is not None:
            self._spares[newest] = resolver
            self._trim(newest)
            log.info("release %s prepared; activating it will swap at once", newest)

    def _trim(self, newest: str | None = None) -> None:
        """At most two spares live: the previous release and the newest prepared one."""
        keep = {self._previous, newest or max(self._spares, default=None)}
        self._spares = {m: r for m, r in self._spares.items() if m in keep}

    def _try_build(self, month: str) -> Resolver | None:
        failed = self._failed.get(month)
        if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER:
            return None
        try:
            resolver = self._build(month)
        except Exception as exc:
            log.exception("release %s could not be loaded; still serving %s", month, self.current.release)
            self._failed[month] = (time.monotonic(), f"{type(exc).__name__}: {exc}")
            return None
        self._failed.pop(month, None)
        return resolver

    def _build(self, month: str) -> Resolver:
        assert self._source is not None
        return self._build_resolver(self._source.read_release(month))

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll()


class SourceUnreadable(Exception):
    """The release source cannot be read: release endpoints answer 503 `not-ready` with this reason."""
