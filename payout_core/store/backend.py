"""The Store: per-thread connections, one transaction at a time per thread, shared SQL over either dialect."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from payout_core.errors import InvalidInput
from payout_core.store.dialects import Dialect, PostgresDialect, SqliteDialect
from payout_core.store.errors import NestedTransaction
from payout_core.store.migrate import apply_pending
from payout_core.store.tx import Batch, ChainProbe, Params, Row, Tx, rolled_back_on_error


class Store:
    """One database, used from any number of threads: each thread gets its own connection on first use."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.probe: ChainProbe | None = None  # tests of write chains set one (see ChainProbe)
        self._local = threading.local()
        self._conns: list[Any] = []
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.dialect.name

    def _conn(self, durable: bool) -> tuple[Any, Any]:
        """This thread's connection and its one reused cursor. Durable and fast transactions use separate
        connections, each configured once, not per transaction."""
        conns: dict[bool, tuple[Any, Any]] | None = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        pair = conns.get(durable)
        if pair is None or getattr(pair[0], "broken", False):
            conn = self.dialect.connect(durable=durable)
            pair = conns[durable] = (conn, conn.cursor())
            with self._lock:
                self._conns.append(conn)
        return pair

    @contextmanager
    def transaction(self, *, write: bool = True, durable: bool = True) -> Iterator[Tx]:
        """Commit on normal exit, roll back on any exception. Not re-entrant: pass the Tx down instead. A broken
        constraint is raised as ConstraintViolation, a broken write-chain link as BrokenLink, on either back end.

        durable=False: the commit returns before its log reaches the disk, so it holds its row locks for
        microseconds instead of a disk flush. A crash may forget it, but the log is sequential: the next durable
        commit makes it durable too. Use it only for changes that are harmless to lose until then.
        """
        with self._owned(durable) as (conn, cur), rolled_back_on_error(self.dialect, conn):
            tx = Tx(conn, cur, self.dialect, self.dialect.begin(write=write), probe=self.probe)
            yield tx
            tx._commit()

    @contextmanager
    def transactions(self, *, durable: bool = True) -> Iterator[Batch]:
        """Several transactions in one round trip: each `batch.transaction()` is its own transaction, committed
        by itself, in order, as if run one after the other. On PostgreSQL they are sent together when the batch
        ends, so a batched transaction only sends and defers (its rows are read after the batch); an error in one
        leaves the ones before it committed and the ones after it unsent, and is raised; an exception while the
        batch is being built sends none of it. On SQLite each one runs and commits at once."""
        with self._owned(durable) as (conn, cur):
            batch = Batch(self.dialect, conn, cur, self.probe)
            yield batch
            with rolled_back_on_error(self.dialect, conn):
                batch.send()

    @contextmanager
    def _owned(self, durable: bool) -> Iterator[tuple[Any, Any]]:
        """This thread's connection, held by one transaction (or batch) at a time."""
        if getattr(self._local, "active", False):
            raise NestedTransaction("a transaction is already open in this thread; pass its Tx (tx=...) instead")
        pair = self._conn(durable)
        self._local.active = True
        try:
            yield pair
        finally:
            self._local.active = False

    def all(self, sql: str, params: Params = (), *, durable: bool = True) -> list[Row]:
        """One statement that is a whole transaction (e.g. a conditional `UPDATE … RETURNING`, or a read that needs
        no lock): it runs in autocommit, atomic on both engines, without the BEGIN and COMMIT messages and round
        trip of a transaction."""
        if getattr(self._local, "active", False):
            raise NestedTransaction("a transaction is already open in this thread; use its Tx instead")
        cur = self._conn(durable)[1]
        cur.execute(self.dialect.sql(sql), params)
        return [tuple(r) for r in cur.fetchall()]

    def one(self, sql: str, params: Params = (), *, durable: bool = True) -> Row | None:
        """`all`'s first row, if any."""
        rows = self.all(sql, params, durable=durable)
        return rows[0] if rows else None

    def migrate(self, directory: Path | None = None) -> list[str]:
        """Apply pending migration files in order; returns the names applied now."""
        with self.transaction() as tx:
            return apply_pending(tx, self.dialect.migration_lock, directory)

    def close(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def open_store(url: str | Path, *, schema: str | None = None) -> Store:
    """`postgresql://…` → PostgreSQL (optionally in its own schema); `sqlite:///path` or a bare path → SQLite."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        return Store(PostgresDialect(text, schema))
    if schema is not None:
        raise InvalidInput("schema", schema, "only PostgreSQL stores have schemas")
    return Store(SqliteDialect(text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text))
