"""What differs between SQLite and PostgreSQL, and nothing else: connecting, placeholders, DDL tokens, locking."""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import psycopg

from payout_core.errors import InvalidInput
from payout_core.store.errors import BrokenLink, ConstraintViolation, StoreError, Violation

_SAFE_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# `{{append_only:TABLE}}` in a migration: triggers that make the database refuse any UPDATE or DELETE of the table's
# rows (and TRUNCATE on PostgreSQL), raised as ConstraintViolation("append_only").
_APPEND_ONLY = re.compile(r"\{\{append_only:([a-z_][a-z0-9_]*)\}\}")
APPEND_ONLY_MARK = "is append-only"


class Dialect(Protocol):
    """The seam between the shared SQL and one database engine."""

    @property
    def name(self) -> str: ...

    @property
    def for_update(self) -> str:
        """Suffix that makes a SELECT lock its rows until commit, where the engine needs it."""
        ...

    @property
    def skip_locked(self) -> str:
        """Suffix of a claiming SELECT: lock its rows and pass by rows another transaction has locked."""
        ...

    @property
    def migration_lock(self) -> str | None:
        """A statement that serialises concurrent migrators inside their transaction, if BEGIN does not."""
        ...

    def connect(self, *, durable: bool) -> Any:
        """A connection whose commits wait for the disk (durable) or do not (see Store.transaction)."""
        ...

    def sql(self, text: str) -> str:
        """Shared SQL (`?` placeholders) in the driver's parameter style."""
        ...

    def ddl(self, text: str) -> str:
        """A migration file with its dialect tokens ({{id}}, {{bytes}}, {{append_only:TABLE}}) replaced."""
        ...

    @property
    def defers_sends(self) -> bool:
        """Whether statements whose result is not read wait to share the next statement's round trip."""
        ...

    def batching(self, conn: Any) -> AbstractContextManager[Any]:
        """Scope in which several statements travel in one round trip."""
        ...

    def begin(self, *, write: bool) -> str:
        """The statement that opens a transaction."""
        ...

    @property
    def lazy_commit(self) -> str | None:
        """A statement that lets its transaction's commit return before the disk flush: every transaction of a
        batch but the last, whose flush covers them all (the log is sequential) before the batch returns."""
        ...

    def rollback(self, conn: Any) -> None: ...

    def checked(self, sql: str) -> str:
        """A write-chain link (`Tx.send(..., rows=n)`) that fails its transaction unless it changes n rows; takes
        two more parameters: n and `link_marker(link, n)`. Only where links are sent ahead (PostgreSQL)."""
        ...

    def changes(self, conn: Any) -> int:
        """Rows changed by the connection so far (where statements run at once: SQLite)."""
        ...

    def answered(self, cur: Any) -> bool:
        """Whether a statement sent in a pipeline got its answer (it ran before any error stopped the pipeline)."""
        ...

    def refusal(self, exc: BaseException) -> StoreError | None:
        """The store's error for a driver error that is the database refusing: a broken constraint
        (ConstraintViolation) or a broken write-chain link (BrokenLink)."""
        ...


_LINK = re.compile(r"payout_core write chain: link (?P<link>.*?) must change (?P<rows>-?\d+) row")


def link_marker(link: str, rows: int) -> str:
    """The text a broken link makes the database fail with (PostgreSQL), from which BrokenLink is recovered."""
    return f"payout_core write chain: link {link} must change {rows} row(s)"


@functools.lru_cache(maxsize=512)
def _pg_checked(sql: str) -> str:
    """The link as a data-modifying CTE (a SELECT link as a plain one) counted by a statement that cannot be folded
    at planning time: it casts the marker to an integer, which fails, exactly when the count is wrong."""
    body = sql if sql.lstrip()[:6].upper() == "SELECT" else f"{sql} RETURNING 1"
    return f"WITH link AS ({body}) SELECT CAST(CASE WHEN COUNT(*) = %s THEN '0' ELSE %s END AS INTEGER) FROM link"


@functools.lru_cache(maxsize=512)
def _pg_placeholders(text: str) -> str:
    return text.replace("%", "%%").replace("?", "%s")


def _sqlite_append_only(m: re.Match[str]) -> str:
    table = m[1]
    return "\n".join(
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}"
        f" BEGIN SELECT RAISE(ABORT, 'payout_core: {table} {APPEND_ONLY_MARK} ({op} refused)'); END;"
        for op in ("UPDATE", "DELETE")
    )


def _pg_append_only(m: re.Match[str]) -> str:
    """One trigger function per schema (replaced, never dropped), two triggers per table."""
    table = m[1]
    return (
        "CREATE OR REPLACE FUNCTION payout_core_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = 'payout_core: '"
        f" || TG_TABLE_NAME || ' {APPEND_ONLY_MARK} (' || TG_OP || ' refused)'; END $$;\n"
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION payout_core_append_only();\n"
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION payout_core_append_only();"
    )


_SQLITE_VIOLATIONS: dict[str, Violation] = {
    "SQLITE_CONSTRAINT_TRIGGER": "append_only",
    "SQLITE_CONSTRAINT_UNIQUE": "unique",
    "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
    "SQLITE_CONSTRAINT_NOTNULL": "not_null",
    "SQLITE_CONSTRAINT_CHECK": "check",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign_key",
}


@dataclass(frozen=True)
class SqliteDialect:
    """Embedded default. BEGIN IMMEDIATE takes the write lock up front so two writers queue instead of deadlocking."""

    path: str
    busy_timeout_s: float = 30.0
    name: ClassVar[str] = "sqlite"
    for_update: ClassVar[str] = ""  # BEGIN IMMEDIATE: one writer at a time holds the whole database
    skip_locked: ClassVar[str] = ""  # ditto: no other writer holds a row while a claim runs
    migration_lock: ClassVar[str | None] = None  # ditto
    defers_sends: ClassVar[bool] = False  # in-process: there are no round trips to save
    lazy_commit: ClassVar[str | None] = None  # a batch's transactions run one by one, each committing as usual

    def connect(self, *, durable: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
        self._wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        # In WAL mode FULL syncs the log at each commit; NORMAL leaves it to the next FULL commit or checkpoint.
        conn.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
        return conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switching a new database to WAL needs its exclusive lock and does not wait on the busy timeout, so
        connections opened together (concurrent first migrators) retry until it is theirs or the timeout passes."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def sql(self, text: str) -> str:
        return text

    def ddl(self, text: str) -> str:
        text = _APPEND_ONLY.sub(_sqlite_append_only, text)
        return text.replace("{{id}}", "INTEGER PRIMARY KEY").replace("{{bytes}}", "BLOB")

    def batching(self, conn: sqlite3.Connection) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def begin(self, *, write: bool) -> str:
        return "BEGIN IMMEDIATE" if write else "BEGIN"

    def rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def checked(self, sql: str) -> str:
        raise AssertionError("SQLite runs a link at once and counts its rows itself")

    def answered(self, cur: Any) -> bool:
        raise AssertionError("SQLite sends nothing ahead")

    def changes(self, conn: sqlite3.Connection) -> int:
        return conn.total_changes  # the cursor's rowcount misses statements that start with WITH

    def refusal(self, exc: BaseException) -> StoreError | None:
        if not isinstance(exc, sqlite3.IntegrityError):
            return None
        kind = _SQLITE_VIOLATIONS.get(getattr(exc, "sqlite_errorname", ""))
        return None if kind is None else ConstraintViolation(kind, str(exc))


@dataclass(frozen=True)
class PostgresDialect:
    """Production store. READ COMMITTED is enough: every state change is a conditional update."""

    dsn: str
    schema: str | None = None
    name: ClassVar[str] = "postgres"
    for_update: ClassVar[str] = " FOR UPDATE"
    skip_locked: ClassVar[str] = " FOR UPDATE SKIP LOCKED"
    migration_lock: ClassVar[str | None] = (
        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.schema_migrations'))"
    )
    defers_sends: ClassVar[bool] = True
    lazy_commit: ClassVar[str | None] = "SET LOCAL synchronous_commit TO off"

    def __post_init__(self) -> None:
        if self.schema is not None and not _SAFE_SCHEMA.match(self.schema):
            raise InvalidInput("schema", self.schema, f"must match {_SAFE_SCHEMA.pattern}")

    def connect(self, *, durable: bool) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.dsn, autocommit=True)
        if not durable:
            conn.execute("SET synchronous_commit TO off")
        if self.schema is not None:
            # IF NOT EXISTS is not atomic: a concurrent connection may create it first.
            with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateSchema):
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            conn.execute(f"SET search_path TO {self.schema}")
        return conn

    def sql(self, text: str) -> str:
        return _pg_placeholders(text)

    def ddl(self, text: str) -> str:
        text = _APPEND_ONLY.sub(_pg_append_only, text)
        text = text.replace("%", "%%")  # run through the driver's placeholder parsing like any statement
        return text.replace("{{id}}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY").replace(
            "{{bytes}}", "BYTEA"
        )

    def batching(self, conn: psycopg.Connection[Any]) -> AbstractContextManager[Any]:
        """libpq pipeline mode, entered only when unread statements wait: per statement it costs the client about
        twice the CPU of plain execution, so it is worth it only where it saves a round trip."""
        return conn.pipeline()

    def begin(self, *, write: bool) -> str:
        return "BEGIN"

    def rollback(self, conn: psycopg.Connection[Any]) -> None:
        # A lost connection has rolled back already (do not hide the original error), and a transaction that never
        # reached the server, or ended at its pipeline's Sync, has nothing to roll back.
        if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        # psycopg counts a statement as prepared when its PREPARE was queued in a pipeline that an error then
        # aborted, and later executes a name the server never saw. Forget them all (the server deallocates its own
        # with the next statement); they are prepared again after a few uses.
        conn._prepared.clear()

    def checked(self, sql: str) -> str:
        return _pg_checked(sql)

    def answered(self, cur: Any) -> bool:
        return cur.pgresult is not None

    def changes(self, conn: psycopg.Connection[Any]) -> int:
        raise AssertionError("PostgreSQL counts a link's rows in the database")

    def refusal(self, exc: BaseException) -> StoreError | None:
        if isinstance(exc, psycopg.errors.InvalidTextRepresentation) and (m := _LINK.search(str(exc))):
            return BrokenLink(m["link"], int(m["rows"]))
        kind = next((k for cls, k in _PG_VIOLATIONS if isinstance(exc, cls)), None)
        return None if kind is None else ConstraintViolation(kind, str(exc))


_PG_VIOLATIONS: tuple[tuple[type[psycopg.Error], Violation], ...] = (
    (psycopg.errors.UniqueViolation, "unique"),
    (psycopg.errors.NotNullViolation, "not_null"),
    (psycopg.errors.CheckViolation, "check"),
    (psycopg.errors.ForeignKeyViolation, "foreign_key"),
    (psycopg.errors.IntegrityConstraintViolation, "append_only"),  # raised only by the append-only triggers
)
