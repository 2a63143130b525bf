"""A live transaction (`Tx`), the rows of statements sent ahead (`Deferred`), transactions sent together (`Batch`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from payout_core.store.dialects import Dialect
from payout_core.store.errors import BatchedRead, ConstraintViolation

Row = tuple[Any, ...]
Params = Sequence[Any]


class Deferred:
    """The rows of a statement sent ahead (`Tx.defer`). They are read once it has run: with the next statement or
    the commit, or on demand (then its own round trip)."""

    __slots__ = ("_cur", "_rows", "_tx")

    def __init__(self, tx: Tx, cur: Any) -> None:
        self._tx = tx
        self._cur = cur
        self._rows: list[Row] | None = None

    def rows(self) -> list[Row]:
        if self._rows is None:
            self._tx._run(None, ())
        assert self._rows is not None, "read within its transaction or after its commit"
        return self._rows

    def _collect(self) -> None:
        self._rows = [tuple(r) for r in self._cur.fetchall()]


_Sent = tuple[str, "Params", "Deferred | None"]  # a statement waiting for its round trip, and who reads its rows


class Tx:
    """A live transaction. Write SQL once with `?` placeholders; the dialect adapts it."""

    __slots__ = ("_batch", "_begin", "_conn", "_cur", "_dialect", "_pending")

    def __init__(self, conn: Any, cur: Any, dialect: Dialect, begin: str, batch: Batch | None = None) -> None:
        """`begin` opens the transaction: at once on SQLite; on PostgreSQL with the first statement that is read
        before the commit, or never (see _commit). `batch`: the Batch its commit joins instead of sending it."""
        self._conn = conn
        self._cur = cur
        self._dialect = dialect
        self._pending: list[_Sent] = []  # not yet on the wire (PostgreSQL)
        self._batch = batch
        self._begin: str | None = None
        if dialect.defers_sends:
            self._begin = begin
        else:
            cur.execute(begin)

    @property
    def dialect(self) -> str:
        return self._dialect.name

    @property
    def for_update(self) -> str:
        """Suffix of a SELECT that must lock its rows until commit (PostgreSQL); SQLite's BEGIN IMMEDIATE already
        holds the whole database, so there it is empty. Lock in a fixed order (ORDER BY the key)."""
        return self._dialect.for_update

    def for_update_of(self, table: str) -> str:
        """`for_update` locking only `table`'s rows: the form a SELECT with an outer join needs."""
        return f"{self._dialect.for_update} OF {table}" if self._dialect.for_update else ""

    def execute(self, sql: str, params: Params = ()) -> int:
        """Rows affected: the answer a conditional update is judged by."""
        self._run(self._dialect.sql(sql), params)
        return int(self._cur.rowcount)

    def send(self, sql: str, params: Params = ()) -> None:
        """A statement whose outcome is not read here; on PostgreSQL it waits and shares the round trip of the next
        statement or of the commit. Its errors still abort the transaction, at the latest at commit."""
        if self._dialect.defers_sends:
            self._pending.append((self._dialect.sql(sql), params, None))
        else:
            self._cur.execute(self._dialect.sql(sql), params)

    def defer(self, sql: str, params: Params = ()) -> Deferred:
        """Like `send`, but its rows stay readable (`Deferred.rows()`), even after the commit that carried it."""
        if not self._dialect.defers_sends:
            deferred = Deferred(self, self._cur)
            self._cur.execute(self._dialect.sql(sql), params)
            deferred._collect()
            return deferred
        deferred = Deferred(self, self._conn.cursor())
        self._pending.append((self._dialect.sql(sql), params, deferred))
        return deferred

    def one(self, sql: str, params: Params = ()) -> Row | None:
        self._run(self._dialect.sql(sql), params)
        rows = self._cur.fetchall()  # drain: a half-read RETURNING statement must not outlive the call
        return tuple(rows[0]) if rows else None

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        self._run(self._dialect.sql(sql), params)
        return [tuple(r) for r in self._cur.fetchall()]

    def script(self, ddl: str) -> None:
        """Run a migration file: dialect tokens replaced, statements split at `;` line ends."""
        for statement in _statements(self._dialect.ddl(ddl)):
            self._run(statement, ())

    def _commit(self) -> None:
        """A sent statement's error surfaces here at the latest. A PostgreSQL transaction none of whose statements
        was read before the commit travels whole in one pipeline without BEGIN and COMMIT: the server runs the
        statements up to the pipeline's Sync as one transaction, committed at the Sync or rolled back entirely on
        an error."""
        if self._batch is not None:
            assert self._begin is not None, "a batched transaction reads nothing before the batch is sent"
            self._batch.add(self._begin, self._pending)
            self._begin, self._pending = None, []
        elif self._begin is None:
            self._run("COMMIT", ())
        elif self._pending:
            self._begin = None
            self._run(None, ())

    def _run(self, sql: str | None, params: Params) -> None:
        """Plain execution (the cheapest per statement), unless sent statements wait: then one pipeline carries
        them and this one (if any) in a single round trip, and the cursor ends up holding this one's result."""
        if self._batch is not None:
            raise BatchedRead("a transaction in a batch only sends: read its results once the batch is sent")
        if self._begin is not None:  # the first round trip of an explicit transaction opens it
            self._pending.insert(0, (self._begin, (), None))
            self._begin = None
        if not self._pending:
            if sql is not None:
                self._cur.execute(sql, params)
            return
        pending, self._pending = self._pending, []
        _pipeline(self._conn, self._cur, self._dialect, pending, sql=sql, params=params)


def _pipeline(
    conn: Any, cur: Any, dialect: Dialect, pending: list[_Sent], *, sql: str | None = None, params: Params = ()
) -> None:
    """The waiting statements, then `sql` (if any), in one round trip; `cur` ends up holding `sql`'s result."""
    with dialect.batching(conn):
        for text, values, deferred in pending:
            (cur if deferred is None else deferred._cur).execute(text, values)
        if sql is not None:
            cur.execute(sql, params)
    for _, _, deferred in pending:
        if deferred is not None:
            deferred._collect()


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


class Batch:
    """Transactions that travel together (`Store.transactions`)."""

    __slots__ = ("_conn", "_cur", "_dialect", "_last_head", "_queue")

    def __init__(self, dialect: Dialect, conn: Any, cur: Any) -> None:
        self._dialect = dialect
        self._conn = conn
        self._cur = cur
        self._queue: list[_Sent] = []  # whole transactions waiting for the batch's round trip (PostgreSQL)
        self._last_head = slice(0, 0)  # the BEGIN (and lazy commit) of the last of them

    def add(self, begin: str, statements: list[_Sent]) -> None:
        lazy = self._dialect.lazy_commit
        head: list[_Sent] = [(begin, (), None), *([(lazy, (), None)] if lazy else [])]
        self._last_head = slice(len(self._queue), len(self._queue) + len(head))
        self._queue += [*head, *statements, ("COMMIT", (), None)]

    def send(self) -> None:
        """Every transaction in one pipeline, each but the last committing without waiting for the disk. The last
        one needs no BEGIN and COMMIT: the pipeline's Sync commits the statements after the previous COMMIT as one
        transaction (see Tx._commit), and its flush makes every earlier commit durable before the batch returns."""
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        del queue[-1], queue[self._last_head]
        _pipeline(self._conn, self._cur, self._dialect, queue)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """One transaction of the batch; an exception in its block drops it (and is raised)."""
        dialect = self._dialect
        if dialect.defers_sends:
            tx = Tx(self._conn, self._cur, dialect, dialect.begin(write=write), batch=self)
            yield tx
            tx._commit()
            return
        with rolled_back_on_error(dialect, self._conn):
            tx = Tx(self._conn, self._cur, dialect, dialect.begin(write=write))
            yield tx
            tx._commit()


@contextmanager
def rolled_back_on_error(dialect: Dialect, conn: Any) -> Iterator[None]:
    """Roll back on any exception; a UNIQUE or NOT NULL violation is raised as ConstraintViolation."""
    try:
        yield
    except BaseException as exc:
        dialect.rollback(conn)
        kind = dialect.violation(exc)
        if kind is not None:
            raise ConstraintViolation(kind, str(exc)) from exc
        raise
