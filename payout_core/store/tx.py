"""A live transaction (`Tx`), the rows of statements sent ahead (`Deferred`), transactions sent together (`Batch`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from payout_core.store.dialects import Dialect, link_marker
from payout_core.store.errors import BatchedRead, BrokenLink

Row = tuple[Any, ...]
Params = Sequence[Any]
T = TypeVar("T")


class ChainProbe:
    """For tests of write chains: records the links sent (`seen`) and breaks every link named `broken`, which the
    database then refuses exactly as a link that changed the wrong number of rows (see Tx.send). With `spare`,
    the first link not named there becomes the broken one: breaking each link of a chain in turn needs no list."""

    def __init__(self, broken: str | None = None, *, spare: frozenset[str] | None = None) -> None:
        self.broken = broken
        self.spare = spare
        self.seen: list[str] = []

    def breaks(self, link: str) -> bool:
        self.seen.append(link)
        if self.broken is None and self.spare is not None and link not in self.spare:
            self.broken = link
        return link == self.broken


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

    def decoded(self, decode: Callable[[list[Row]], T]) -> Later[T]:
        return Later(self, decode)


class Later(Generic[T]):
    """A typed value read by a statement sent ahead: what a table's module hands out instead of rows or SQL."""

    __slots__ = ("_decode", "_deferred")

    def __init__(self, deferred: Deferred, decode: Callable[[list[Row]], T]) -> None:
        self._deferred = deferred
        self._decode = decode

    def get(self) -> T:
        return self._decode(self._deferred.rows())


_Sent = tuple[str, "Params", "Deferred | None"]  # a statement waiting for its round trip, and who reads its rows


class Tx:
    """A live transaction. Write SQL once with `?` placeholders; the dialect adapts it."""

    __slots__ = ("_batch", "_begin", "_conn", "_cur", "_dialect", "_pending", "_probe")

    def __init__(
        self,
        conn: Any,
        cur: Any,
        dialect: Dialect,
        begin: str,
        *,
        batch: Batch | None = None,
        probe: ChainProbe | None = None,
    ) -> None:
        """`begin` opens the transaction: at once on SQLite; on PostgreSQL with the first statement that is read
        before the commit, or never (see _commit). `batch`: the Batch its commit joins instead of sending it."""
        self._conn = conn
        self._cur = cur
        self._dialect = dialect
        self._pending: list[_Sent] = []  # not yet on the wire (PostgreSQL)
        self._batch = batch
        self._probe = probe
        self._begin: str | None = None
        if dialect.defers_sends:
            self._begin = begin
        else:
            cur.execute(begin)

    @property
    def for_update(self) -> str:
        """Suffix of a SELECT that must lock its rows until commit (PostgreSQL); SQLite's BEGIN IMMEDIATE already
        holds the whole database, so there it is empty. Lock in a fixed order (ORDER BY the key)."""
        return self._dialect.for_update

    @property
    def skip_locked(self) -> str:
        """Suffix of a SELECT that claims rows (leases, store/lease.py): locks them and skips rows locked by others
        (PostgreSQL); empty on SQLite, whose single writer holds the whole database."""
        return self._dialect.skip_locked

    def send(self, sql: str, params: Params = (), *, rows: int | None, link: str) -> None:
        """A link of a write chain: a write sent ahead, whose answer is never read here. On PostgreSQL it waits and
        shares the round trip of the next statement or of the commit.

        `rows` is exactly how many rows it must change (a SELECT: find); the database refuses anything else, and
        the whole transaction then fails with BrokenLink(`link`), at the latest at its commit, so the links after
        it never need a condition on it: a chain commits whole or not at all. `rows=None` only where any count is
        right (an idempotent `ON CONFLICT DO NOTHING`). Its other errors abort the transaction just the same."""
        text = self._dialect.sql(sql)
        if self._probe is not None and self._probe.breaks(link):
            rows = -1  # no statement changes -1 rows: the database refuses it as it would a link that failed
        if self._dialect.defers_sends:
            if rows is not None:
                text, params = self._dialect.checked(text), (*params, rows, link_marker(link, rows))
            self._pending.append((text, params, None))
            return
        before = self._dialect.changes(self._conn)
        self._cur.execute(text, params)
        if rows is not None:
            found = self._cur.fetchall()
            changed = len(found) if _is_select(text) else self._dialect.changes(self._conn) - before
            if changed != rows:
                raise BrokenLink(link, rows)

    def defer(self, sql: str, params: Params = ()) -> Deferred:
        """A statement sent ahead (as `send`) whose rows stay readable (`Deferred.rows()`), even after the commit that
        carried it: a read that can wait, or a write whose RETURNING rows the caller examines."""
        if not self._dialect.defers_sends:
            deferred = Deferred(self, self._cur)
            self._cur.execute(self._dialect.sql(sql), params)
            deferred._collect()
            return deferred
        deferred = Deferred(self, self._conn.cursor())
        self._pending.append((self._dialect.sql(sql), params, deferred))
        return deferred

    def one(self, sql: str, params: Params = ()) -> Row | None:
        """A statement whose answer is needed now (its own round trip, carrying whatever was sent ahead): a read,
        or a write with RETURNING that decides what happens next."""
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

    __slots__ = ("_commits", "_conn", "_cur", "_dialect", "_last_head", "_probe", "_queue", "_run")

    def __init__(self, dialect: Dialect, conn: Any, cur: Any, probe: ChainProbe | None = None) -> None:
        self._dialect = dialect
        self._probe = probe
        self._conn = conn
        self._cur = cur
        self._queue: list[_Sent] = []  # whole transactions waiting for the batch's round trip (PostgreSQL)
        self._last_head = slice(0, 0)  # the BEGIN (and lazy commit) of the last of them
        self._commits: list[Any] = []  # per queued transaction, the cursor its COMMIT answers on (PostgreSQL)
        self._run = 0  # transactions committed so far (SQLite runs each at once)

    @property
    def committed(self) -> int:
        """How many of the batch's transactions committed, in order: all of them, or those before the one whose
        error the batch raised (read it after the batch, also when it raised)."""
        if not self._dialect.defers_sends or self._run:
            return self._run
        return sum(1 for cur in self._commits if self._dialect.answered(cur))

    def add(self, begin: str, statements: list[_Sent]) -> None:
        lazy = self._dialect.lazy_commit
        head: list[_Sent] = [(begin, (), None), *([(lazy, (), None)] if lazy else [])]
        self._last_head = slice(len(self._queue), len(self._queue) + len(head))
        commit = _Commit(self._conn.cursor())
        self._commits.append(commit._cur)
        self._queue += [*head, *statements, ("COMMIT", (), commit)]

    def send(self) -> None:
        """Every transaction in one pipeline, each but the last committing without waiting for the disk. The last
        one needs no BEGIN and COMMIT: the pipeline's Sync commits the statements after the previous COMMIT as one
        transaction (see Tx._commit), and its flush makes every earlier commit durable before the batch returns."""
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        del queue[-1], queue[self._last_head]
        _pipeline(self._conn, self._cur, self._dialect, queue)
        self._run = len(self._commits)  # all of them, the last one at the pipeline's Sync

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """One transaction of the batch; an exception in its block drops it (and is raised)."""
        dialect = self._dialect
        if dialect.defers_sends:
            tx = Tx(self._conn, self._cur, dialect, dialect.begin(write=write), batch=self, probe=self._probe)
            yield tx
            tx._commit()
            return
        with rolled_back_on_error(dialect, self._conn):
            tx = Tx(self._conn, self._cur, dialect, dialect.begin(write=write), probe=self._probe)
            yield tx
            tx._commit()
        self._run += 1


class _Commit(Deferred):
    """Where a batched transaction's COMMIT answers: it has no rows, only whether it ran (Batch.committed)."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur
        self._rows = []

    def _collect(self) -> None:
        pass


@contextmanager
def rolled_back_on_error(dialect: Dialect, conn: Any) -> Iterator[None]:
    """Roll back on any exception; a broken constraint or write-chain link is raised as the store's own error."""
    try:
        yield
    except BaseException as exc:
        dialect.rollback(conn)
        refusal = dialect.refusal(exc)
        if refusal is not None:
            raise refusal from exc
        raise


def _is_select(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"
