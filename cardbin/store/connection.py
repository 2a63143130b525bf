"""Short-lived DuckDB connections that wait (bounded) for another process's lock, and the store's writer lock.

DuckDB lets one read-write process or many read-only ones open a file. Servers poll the active month
every ~250 ms from other processes, so a writer (`release activate`) and those readers meet; both sides
retry briefly with backoff instead of failing on the first conflict.

Only `release load` creates a store: every other connection is refused with StoreUnavailable, naming the
file and what is wrong with it (missing, unreadable, read-only, not a DuckDB file), before DuckDB could
create an empty file or fail with its own message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from cardbin.errors import StoreBusy, StoreUnavailable

LOCK_TIMEOUT_S = 10.0
WRITER_TIMEOUT_S = 120.0  # a load copies the whole store while it holds the writer lock
_FIRST_DELAY_S = 0.01
_MAX_DELAY_S = 0.25


def _is_busy(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text or "different configuration" in text


def check_store(path: Path, *, write: bool) -> None:
    """StoreUnavailable unless `path` is an existing file this process may read (and, for `write`, write)."""
    if not path.exists():
        raise StoreUnavailable(f"{path}: no such release store (only `cardbin release load` creates one)")
    if not path.is_file():
        raise StoreUnavailable(f"{path}: not a file, so not a release store")
    if not os.access(path, os.R_OK):
        raise StoreUnavailable(f"{path}: permission denied; the release store cannot be read")
    if write and not os.access(path, os.W_OK):
        raise StoreUnavailable(f"{path}: read-only; the release store cannot be changed")


@contextmanager
def connect(
    path: Path, *, read_only: bool, timeout_s: float = LOCK_TIMEOUT_S, create: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection closed on exit; StoreBusy when the file stays locked longer than `timeout_s`.

    Without `create`, the file must already exist (StoreUnavailable otherwise, and for a file DuckDB refuses).
    """
    if not create:
        check_store(path, write=not read_only)
    deadline = time.monotonic() + timeout_s
    delay = _FIRST_DELAY_S
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_busy(exc):
                reason = str(exc).removeprefix("IO Error: ")
                raise StoreUnavailable(f"{path}: cannot be opened as a release store ({reason})") from exc
            if time.monotonic() + delay > deadline:
                raise StoreBusy(f"{path}: still locked by another process after {timeout_s:g} s") from exc
            time.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY_S)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def writer_lock(path: Path, timeout_s: float = WRITER_TIMEOUT_S) -> Iterator[None]:
    """One writer at a time per store, across processes (the hidden sidecar file `.<store>.lock`, kept).

    A load builds the new store file beside the old one and renames it over; an activation made meanwhile by
    another process would be lost by that rename, so every write of the store holds this lock.
    """
    lock = FileLock(path.with_name(f".{path.name}.lock"), timeout=timeout_s)
    try:
        lock.acquire()
    except Timeout as exc:
        raise StoreBusy(f"{path}: another load or activation still holds the store after {timeout_s:g} s") from exc
    except OSError as exc:
        raise StoreUnavailable(f"{path}: cannot lock the release store ({exc.strerror or exc})") from exc
    try:
        yield
    finally:
        lock.release()
