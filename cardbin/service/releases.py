"""The release a server answers with, and the watcher that swaps it when data staff activate another one.

A request reads `ServedRelease.current` once and uses that Resolver to the end, so no answer ever mixes two
releases. A new Resolver is built completely in the watcher thread, off the request path, then published by
one reference assignment (atomic under the GIL): requests in flight finish on the old one.

Building the index of a full-size release takes seconds, more than the 1 s a swap may take. So the watcher
keeps two spares ready: the newest loaded release not yet active (what `release activate` will most likely
name next) and the release served before the current one (what `release rollback` names).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cardbin.errors import ReleaseNotFound
from cardbin.model import ReleaseInfo
from cardbin.release.schema import ReleaseData
from cardbin.resolve.resolver import Resolver
from cardbin.service.wire import Releases

if TYPE_CHECKING:
    from cardbin.store import ReleaseStore

log = logging.getLogger("cardbin.service.releases")

POLL_INTERVAL = 0.25
STANDBY_EVERY = 2.0  # seconds between looks for a newly loaded release to prepare
RETRY_AFTER = 5.0  # a release that failed to build is retried this often, not on every poll


class ServedRelease:
    """Either a fixed Resolver (bundled data, tests) or the active release of a DuckDB store, kept current."""

    current: Resolver

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        db: Path | None = None,
        poll_interval: float = POLL_INTERVAL,
        standby_every: float = STANDBY_EVERY,
        build: Callable[[ReleaseData], Resolver] = Resolver.from_release,
    ) -> None:
        self._db = db
        self._store: ReleaseStore | None = None
        if db is not None and resolver is None:
            from cardbin.store import ReleaseStore  # DuckDB only loads when a store is configured

            self._store = ReleaseStore(db)
        self._fixed = resolver
        self._build_resolver = build
        self._interval = poll_interval
        self._standby_every = standby_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._spares: dict[str, Resolver] = {}
        self._previous: str | None = None
        self._failed: dict[str, float] = {}  # month → when its build last failed
        self._next_standby = 0.0
        if resolver is not None:
            self.current = resolver

    def start(self) -> None:
        """Load the release now (a server without data fails at start, loudly), then watch the store."""
        if self._store is None:
            if self._fixed is None:
                self.current = Resolver.open()
            return
        month = self._store.active_month()
        if month is None:
            raise ReleaseNotFound(f"{self._db}: no active release; run `cardbin release activate MONTH`")
        self.current = self._build(month)
        self._thread = threading.Thread(target=self._watch, name="cardbin-release-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def releases(self) -> Releases:
        serving = self.current.release
        if self._store is None:
            info = ReleaseInfo(month=serving, loaded_at="", active=True, sources=[], counts={})
            return Releases(serving=serving, releases=[info])
        # StoreBusy (a writer holds the file too long) propagates: answered 503, the caller retries.
        return Releases(serving=serving, releases=self._store.list_releases())

    def poll(self) -> bool:
        """One watcher step: True when another release was swapped in. A failed poll counts as "no change"."""
        assert self._store is not None
        try:
            month = self._store.active_month()
        except Exception as exc:  # lock conflict with a writer: try again on the next tick
            log.debug("active_month poll failed: %s", type(exc).__name__)
            return False
        swapped = month is not None and month != self.current.release and self._swap_to(month)
        self._prepare_standby()
        return swapped

    def _swap_to(self, month: str) -> bool:
        resolver = self._spares.pop(month, None) or self._try_build(month)
        if resolver is None:
            return False
        previous, self.current = self.current, resolver
        self._spares[previous.release] = previous
        self._previous = previous.release
        self._trim()
        log.info("now serving release %s (was %s)", month, previous.release)
        return True

    def _prepare_standby(self) -> None:
        """Build the newest loaded release ahead of its activation (looked for every `standby_every` s)."""
        assert self._store is not None
        if time.monotonic() < self._next_standby:
            return
        self._next_standby = time.monotonic() + self._standby_every
        try:
            newest = max((r.month for r in self._store.list_releases()), default=None)
        except Exception as exc:  # busy store: look again next time
            log.debug("list_releases for standby failed: %s", type(exc).__name__)
            return
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
        failed_at = self._failed.get(month)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER:
            return None
        try:
            resolver = self._build(month)
        except Exception:
            log.exception("release %s could not be loaded; still serving %s", month, self.current.release)
            self._failed[month] = time.monotonic()
            return None
        self._failed.pop(month, None)
        return resolver

    def _build(self, month: str) -> Resolver:
        assert self._store is not None
        return self._build_resolver(self._store.read_release(month))

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll()
