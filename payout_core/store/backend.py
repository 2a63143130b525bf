"""The Store: per-thread connections, one transaction at a time per thread, shared SQL over either dialect."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from payout_core.store.dialects import Dialect, PostgresDialect, SqliteDialect
from payout_core.store.errors import NestedTransaction

Row = tuple[Any, ...]
Params = Sequence[Any]


class Tx:
    """A live transaction. Write SQL once with `?` placeholders; the dialect adapts it."""

    __slots__ = ("_batch", "_cur", "_dialect")

    def __init__(self, cur: Any, dialect: Dialect, batch: Any) -> None:
        self._cur = cur
        self._dialect = dialect
        self._batch = batch  # PostgreSQL pipeline (has .sync()), None on SQLite

    @property
    def dialect(self) -> str:
        return self._dialect.name

    @property
    def for_update(self) -> str:
        """Suffix of a SELECT that must lock its rows until commit (PostgreSQL); SQLite's BEGIN IMMEDIATE already
        holds the whole database, so there it is empty. Lock in a fixed order (ORDER BY the key)."""
        return self._dialect.for_update

    def execute(self, sql: str, params: Params = ()) -> int:
        """Rows affected: the answer a conditional update is judged by."""
        self._cur.execute(self._dialect.sql(sql), params)
        if self._batch is not None:
            self._batch.sync()  # the row count is known only once the server has answered
        return int(self._cur.rowcount)

    def send(self, sql: str, params: Params = ()) -> None:
        """A statement whose outcome is not read here; on PostgreSQL it shares the next round trip. Its errors
        still abort the transaction, at the latest at commit."""
        self._cur.execute(self._dialect.sql(sql), params)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        self._cur.execute(self._dialect.sql(sql), params)
        rows = self._cur.fetchall()  # drain: a half-read RETURNING statement must not outlive the call
        return tuple(rows[0]) if rows else None

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        self._cur.execute(self._dialect.sql(sql), params)
        return [tuple(r) for r in self._cur.fetchall()]

    def script(self, ddl: str) -> None:
        """Run a migration file: dialect tokens replaced, statements split at `;` line ends."""
        for statement in _statements(self._dialect.ddl(ddl)):
            self._cur.execute(statement)


def _statements(ddl: str) -> Iterator[str]:
    lines = [ln for ln in ddl.splitlines() if not ln.strip().startswith("--")]
    current: list[str] = []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(current).strip().rstrip(";").strip()
            if stmt:
                yield stmt
            current = []
    tail = "\n".join(current).strip()
    if tail:
        yield tail


class Store:
    """One database, used from any number of threads: each thread gets its own connection on first use."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
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
        """Commit on normal exit, roll back on any exception. Not re-entrant: pass the Tx down instead.

        durable=False: the commit returns before its log reaches the disk, so it holds its row locks for
        microseconds instead of a disk flush. A crash may forget it, but the log is sequential: the next durable
        commit makes it durable too. Use it only for changes that are harmless to lose until then.
        """
        if getattr(self._local, "active", False):
            raise NestedTransaction("a transaction is already open in this thread; pass its Tx (tx=...) instead")
        conn, cur = self._conn(durable)
        self._local.active = True
        try:
            try:
                with self.dialect.batching(conn) as batch:
                    self.dialect.begin(cur, write=write)
                    yield Tx(cur, self.dialect, batch)
                    self.dialect.commit(cur)  # a batched statement's error surfaces here at the latest
            except BaseException:
                self.dialect.rollback(conn)  # outside the batch: an aborted pipeline would skip it
                raise
        finally:
            self._local.active = False

    def migrate(self, directory: Path | None = None) -> list[str]:
        """Apply pending migration files in order; returns the names applied now."""
        from payout_core.store.migrate import apply_pending

        return apply_pending(self, directory)

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
        raise ValueError(f"schema={schema!r}: only PostgreSQL stores have schemas")
    return Store(SqliteDialect(text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text))
