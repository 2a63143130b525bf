"""Enrichment inside a distributed engine: the Arrow batch function of `cardbin.resolve.enrich`, run where the data
lives, with the release loaded once per worker process.

A job names its release by where it is published (`cardbin release publish`: a directory every worker can read, or
an http(s) URL) and a month; the month is fixed on the client when the job is built (the active one if none is
named), so every partition answers from the same release even if ACTIVE moves meanwhile. Without a destination the
bundled release is used. `cardbin.distributed.dask` runs it on Dask; Spark and Ray take `enrich_batches` directly
(see the README).
"""

from __future__ import annotations

import threading
from functools import cache

import msgspec

from cardbin.errors import ReleaseNotFound
from cardbin.resolve.index import ReleaseIndex


class ReleaseRef(msgspec.Struct, frozen=True):
    """A release as workers find it: `location` of a published destination (None: the bundled release) and month."""

    location: str | None
    month: str

    @classmethod
    def resolve(cls, location: str | None = None, month: str | None = None) -> ReleaseRef:
        """The reference a job carries: `month`, or the month active at `location` now (checked to exist)."""
        if location is None:
            from cardbin.release.bundled import default_release

            bundled = default_release().month
            if month not in (None, bundled):
                raise ReleaseNotFound(f"release {month}: without a destination only the bundled {bundled} exists")
            return cls(None, bundled)
        from cardbin.publish import Destination

        destination = Destination.at(location)
        if month is None:
            pointer = destination.pointer()
            if pointer is None:
                raise ReleaseNotFound(f"{location}: no active release; name a month or activate one")
            month = pointer.month
        destination.published(month)
        return cls(location, month)


_loading = threading.Lock()


def release_index(release: ReleaseRef) -> ReleaseIndex:
    """The index of `release` in this process, loaded (and every bundle file checked) on first use only: threads
    of one worker that start together wait for the one load."""
    with _loading:
        return _load(release)


@cache
def _load(release: ReleaseRef) -> ReleaseIndex:
    from cardbin.resolve.resolver import Resolver

    if release.location is None:
        from cardbin.release.bundled import default_release

        data = default_release()
    else:
        from cardbin.publish import Destination

        data = Destination.at(release.location).read_release(release.month)
    return Resolver.from_release(data).index


def loads() -> int:
    """How many releases this process has loaded (a worker that loads once per job reports 1)."""
    return _load.cache_info().misses
