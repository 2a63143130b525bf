"""Short-lived DuckDB connections that wait (bounded) for another process's lock.

DuckDB lets one read-write process or many read-only ones open a file. Servers poll the active month
every ~250 ms from other processes, so a writer (`release activate`) and those readers meet; both sides
retry briefly with backoff instead of failing on the first conflict.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from cardbin.errors import StoreBusy

LOCK_TIMEOUT_S = 10.0
_FIRST_DELAY_S = 0.01
_MAX_DELAY_S = 0.25


def _is_busy(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text or "different configuration" in text


@contextmanager
def connect(path: Path, *, read_only: bool, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection closed on exit; StoreBusy when the file stays locked longer than `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    delay = _FIRST_DELAY_S
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise StoreBusy(f"{path}: still locked by another process after {timeout_s:g} s") from exc
            time.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY_S)
    try:
        yield con
    finally:
        con.close()
