"""Versioned releases in one DuckDB file: load (all or nothing), list, read, activate, roll back, diff, history.

Every operation opens its own short connection, so no process holds the file longer than it must and servers in
other processes can keep polling `active_month`. Listing releases, the active month and the history need DuckDB
only; polars is imported by the operations that move table data (read, save, load, diff), so `cardbin release
list` starts fast.

A load never writes into the store file in place. Under the writer lock it copies the file to a staging file
beside it, adds the release there in one transaction (re-checking the base it was built on) and renames the copy
over the original. A load that fails at any point (disk full, killed, refused while saving) leaves the store byte
for byte as it was, and a store that did not exist is not created.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import msgspec

from cardbin.errors import ReleaseError, ReleaseNotFound, StoreUnavailable
from cardbin.model import BinRecord, City, Coverage, ReleaseInfo, SourceFile
from cardbin.release.rows import COLUMNS, BranchRow, ReleaseRows, SegmentRow
from cardbin.store.connection import check_store, connect, writer_lock
from cardbin.store.schema import ACTIVE_MONTH, META_DDL, MIGRATIONS, table_ddl

if TYPE_CHECKING:
    from cardbin.release.build import Built, Inputs
    from cardbin.release.diff import ReleaseDiff
    from cardbin.release.schema import ReleaseData
    from cardbin.validate import Options, Report


class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One activation or rollback: when, by whom, from which host (null for entries older than the record)."""

    action: Literal["activate", "rollback"]
    month: str  # the release activated, or the one rolled back
    at: str
    user: str | None
    host: str | None
    restored: str | None = None  # rollback: the release active again


@dataclass(frozen=True)
class BaseRule:
    """Which stored release a load builds on: applied when its build starts and again in the saving transaction.

    A full BIN table builds on the month before it (any month may be backfilled); anything else (change lists,
    a new CNAPS table alone) builds on the newest release, or on the one named with `--base`.
    """

    full_table: bool
    named: str | None = None

    def choose(self, month: str, months: Collection[str]) -> str | None:
        if month in months:
            raise ReleaseError(f"release {month} already exists; releases are never overwritten")
        if self.named is not None:
            if self.named not in months:
                raise ReleaseNotFound(f"base release {self.named} is not in the store")
            if self.named > month:
                raise ReleaseError(
                    f"base release {self.named} is not before {month}: a release builds on an earlier one"
                )
            return self.named
        if self.full_table:
            return max((m for m in months if m < month), default=None)
        newest = max(months, default=None)
        if newest is None:
            raise ReleaseError(
                "a load without --bin-table builds on an earlier release and the store has none: load a full table"
            )
        if newest > month:
            raise ReleaseError(
                f"{month} is before the newest release {newest}: a change list applies to the newest release; "
                "name the release it applies to with --base MONTH"
            )
        return newest


def actor() -> tuple[str | None, str | None]:
    """(user, host) recorded with an activation or rollback."""
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = f"uid {os.getuid()}" if hasattr(os, "getuid") else None
    return user, socket.gethostname() or None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fsync(path: Path) -> None:
    """Flush `path` (a file or a directory: a rename in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ReleaseStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # --- reading -----------------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; StoreUnavailable for a file that is not a cardbin store."""
        with connect(self.path, read_only=True) as con:
            try:
                yield con
            except duckdb.CatalogException as exc:
                raise StoreUnavailable(f"{self.path}: a DuckDB file, but not a cardbin release store") from exc

    def _query(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        with self._reading() as con:
            return con.execute(sql, params or []).fetchall()

    def active_month(self) -> str | None:
        rows = self._query(ACTIVE_MONTH)
        return str(rows[0][0]) if rows else None

    def months(self) -> list[str]:
        return [str(m) for (m,) in self._query("SELECT month FROM releases ORDER BY month")]

    def list_releases(self) -> list[ReleaseInfo]:
        active = self.active_month()
        with self._reading() as con:
            # A store written before coverage was measured has no such column until its next write.
            coverage = "coverage" if "coverage" in _columns(con, "releases") else "NULL"
            rows = con.execute(f"SELECT month, loaded_at, sources, counts, {coverage} FROM releases ORDER BY month")
            found = rows.fetchall()
        return [
            ReleaseInfo(
                month=str(month),
                loaded_at=str(loaded_at),
                active=month == active,
                sources=msgspec.json.decode(str(sources), type=list[SourceFile]),
                counts=msgspec.json.decode(str(counts), type=dict[str, int]),
                coverage=msgspec.json.decode(str(measured), type=Coverage) if measured is not None else None,
            )
            for month, loaded_at, sources, counts, measured in found
        ]

    def history(self) -> list[HistoryEntry]:
        """Every activation and rollback, oldest first."""
        with self._reading() as con:
            rows = _rows(con.execute("SELECT * FROM activations ORDER BY seq"))
        entries = []
        for row in rows:
            entries.append(
                HistoryEntry(
                    action="activate",
                    month=str(row["month"]),
                    at=str(row["activated_at"]),
                    user=row.get("activated_by"),
                    host=row.get("activated_host"),
                )
            )
            if row["rolled_back"]:
                entries.append(
                    HistoryEntry(
                        action="rollback",
                        month=str(row["month"]),
                        at=str(row.get("rolled_back_at") or "unknown"),
                        user=row.get("rolled_back_by"),
                        host=row.get("rolled_back_host"),
                        restored=row.get("rolled_back_to"),
                    )
                )
        return sorted(entries, key=lambda e: e.at)

    def _month_or_active(self, month: str | None) -> str:
        if month is None:
            active = self.active_month()
            if active is None:
                raise ReleaseNotFound(f"{self.path}: no active release (activate one with `cardbin release activate`)")
            return active
        return month

    def _sources(self, con: duckdb.DuckDBPyConnection, month: str) -> tuple[str, tuple[SourceFile, ...]]:
        """(loaded_at, sources) of a stored release; ReleaseNotFound when the store has no such month."""
        found = con.execute("SELECT loaded_at, sources FROM releases WHERE month = ?", [month]).fetchall()
        if not found:
            raise ReleaseNotFound(f"release {month} is not in {self.path}")
        loaded_at, sources = found[0]
        return str(loaded_at), tuple(msgspec.json.decode(str(sources), type=list[SourceFile]))

    def read_release(self, month: str | None = None) -> ReleaseData:
        """All tables of a release (None: the active one)."""
        from cardbin.release.schema import TABLES, ReleaseData, conform

        month = self._month_or_active(month)
        with self._reading() as con:
            loaded_at, sources = self._sources(con, month)
            tables = {
                table: conform(table, con.sql(query, params=[month]).pl())
                for table in TABLES
                if (query := _select(con, table))
            }
        return ReleaseData(
            month=month,
            loaded_at=loaded_at,
            sources=sources,
            bins=tables["bins"],
            branches=tables["branches"],
            cities=tables["cities"],
            segments=tables["segments"],
        )

    def read_rows(self, month: str | None = None) -> ReleaseRows:
        """The tables of a release (None: the active one) as Python rows, read without polars: what an index is
        built from."""
        month = self._month_or_active(month)
        with self._reading() as con:
            self._sources(con, month)

            def rows(table: str) -> list[tuple[Any, ...]]:
                query = _select(con, table)
                return con.execute(query, [month]).fetchall() if query else []

            bins, cities = COLUMNS["bins"], COLUMNS["cities"]
            return ReleaseRows(
                month=month,
                bins=[BinRecord(**dict(zip(bins, row, strict=True))) for row in rows("bins")],
                branches=[BranchRow(*row) for row in rows("branches")],
                cities=[City(**dict(zip(cities, row, strict=True))) for row in rows("cities")],
                segments=[SegmentRow(*row) for row in rows("segments")],
            )

    def load_report(self, month: str) -> Report:
        """The validation report stored with a release (empty for releases stored before reports were kept)."""
        from cardbin.validate import Report

        with self._reading() as con:
            rows = _rows(con.execute("SELECT * FROM releases WHERE month = ?", [month]))
        if not rows:
            raise ReleaseNotFound(f"release {month} is not in {self.path}")
        stored = rows[0].get("report")
        return msgspec.json.decode(str(stored), type=Report) if stored else Report(problems=[])

    def previous_month(self, month: str) -> str | None:
        """The newest stored month before `month`: what a full table of `month` is diffed against."""
        return max((m for m in self.months() if m < month), default=None)

    # --- writing -----------------------------------------------------------------------------------

    def _write(self, action: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Run `action` in one transaction on the existing store, under the writer lock; all of it or none."""
        check_store(self.path, write=True)
        with writer_lock(self.path), connect(self.path, read_only=False) as con:
            try:
                _transaction(con, action)
            except duckdb.CatalogException as exc:
                raise StoreUnavailable(f"{self.path}: a DuckDB file, but not a cardbin release store") from exc

    def _staging(self) -> Path:
        return self.path.with_name(f".{self.path.name}.{os.getpid()}.loading")

    def _rebuild(self, action: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Run `action` in one transaction on a copy of the store, then rename the copy over the store.

        Any failure before the rename (a full disk included) deletes the copy: the store is left as it was.
        """
        with writer_lock(self.path):
            for stale in self.path.parent.glob(f".{self.path.name}.*.loading*"):
                stale.unlink(missing_ok=True)  # copies of loads killed mid-way: nobody else writes while we lock
            staging = self._staging()
            wal = staging.with_name(staging.name + ".wal")
            try:
                if self.path.exists():
                    check_store(self.path, write=True)  # a rename would replace a read-only file
                    if self.path.with_name(self.path.name + ".wal").exists():
                        with connect(self.path, read_only=False) as con:
                            con.execute("CHECKPOINT")  # folds the WAL of a killed writer into the file we copy
                    with connect(self.path, read_only=True):  # no other process writes while we copy
                        shutil.copyfile(self.path, staging)
                    shutil.copymode(self.path, staging)
                with connect(staging, read_only=False, create=True) as con:
                    for statement in (*META_DDL, *MIGRATIONS, *table_ddl()):
                        con.execute(statement)
                    _transaction(con, action)
                    con.execute("CHECKPOINT")
                fsync(staging)
                os.replace(staging, self.path)
                fsync(self.path.parent)
            except (OSError, duckdb.IOException, duckdb.TransactionException, duckdb.OutOfMemoryException) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise StoreUnavailable(f"{self.path}: could not write the store ({reason}); it is unchanged") from exc
            finally:
                staging.unlink(missing_ok=True)
                wal.unlink(missing_ok=True)

    def save(
        self,
        release: ReleaseData,
        coverage: Coverage | None = None,
        *,
        rule: BaseRule | None = None,
        base: str | None = None,
        report: Report | None = None,
    ) -> ReleaseInfo:
        """Store a built release, inactive, with its coverage. Months are immutable: an existing month is refused.

        With `rule`, the release was built on `base` as that rule chose it; if the rule chooses another release
        now (a concurrent load stored a month meanwhile), nothing is stored.
        """
        from cardbin.release.build import check_month
        from cardbin.release.schema import TABLES, conform

        check_month(release.month)
        counts = {table: getattr(release, table).height for table in TABLES}

        def insert(con: duckdb.DuckDBPyConnection) -> None:
            months = [str(m) for (m,) in con.execute("SELECT month FROM releases").fetchall()]
            now = (rule or BaseRule(full_table=True)).choose(release.month, months)
            if rule is not None and now != base:
                raise ReleaseError(
                    f"the store changed while release {release.month} was built: it was built on "
                    f"{base or 'no earlier release'}, and would now build on {now}; nothing was stored, load it again"
                )
            con.execute(
                "INSERT INTO releases (month, loaded_at, sources, counts, coverage, base, report) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    release.month,
                    release.loaded_at,
                    msgspec.json.encode(list(release.sources)).decode(),
                    msgspec.json.encode(counts).decode(),
                    msgspec.json.encode(coverage).decode() if coverage is not None else None,
                    base,
                    msgspec.json.encode(report).decode() if report is not None else None,
                ],
            )
            for table in TABLES:
                frame = conform(table, getattr(release, table))
                con.register("staged_frame", frame)
                try:
                    con.execute(f"INSERT INTO {table} SELECT ? AS month, * FROM staged_frame", [release.month])
                finally:
                    con.unregister("staged_frame")

        self._rebuild(insert)
        return ReleaseInfo(
            month=release.month,
            loaded_at=release.loaded_at,
            active=False,
            sources=list(release.sources),
            counts=counts,
            coverage=coverage,
        )

    def base_for(self, month: str, rule: BaseRule) -> str | None:
        """The release a load of `month` under `rule` builds on now (None: none; the store need not exist)."""
        return rule.choose(month, self.months() if self.path.exists() else [])

    def load(
        self,
        month: str,
        inputs: Inputs,
        *,
        base: str | None = None,
        options: Options | None = None,
        step: Callable[[str], None] | None = None,
        measure: Callable[[ReleaseData], Coverage] | None = None,
    ) -> tuple[ReleaseInfo, Built]:
        """Read, validate and store a month's files as an inactive release (LoadRefused: nothing stored).

        Tables not given, and a change list's base, come from the release `BaseRule` chooses (see there).
        `measure` (e.g. `cardbin.resolve.coverage.release_coverage`) gives the coverage stored with it.
        """
        from cardbin.release.build import build_release, check_month

        check_month(month)
        if base is not None:
            check_month(base)
        rule = BaseRule(full_table=inputs.bin_table is not None, named=base)
        built_on = self.base_for(month, rule)
        previous = self.read_release(built_on) if built_on else None
        built = build_release(month, inputs, previous=previous, options=options, step=step)
        coverage = measure(built.release) if measure is not None else None
        if step and measure is not None:
            step("coverage")
        info = self.save(built.release, coverage, rule=rule, base=built_on, report=built.report)
        if step:
            step("store")
        return info, built

    def activate(self, month: str) -> None:
        user, host = actor()

        def push(con: duckdb.DuckDBPyConnection) -> None:
            if not con.execute("SELECT 1 FROM releases WHERE month = ?", [month]).fetchall():
                raise ReleaseNotFound(f"release {month} is not in {self.path}")
            con.execute(
                "INSERT INTO activations (seq, month, activated_at, rolled_back, activated_by, activated_host) "
                "SELECT coalesce(max(seq), 0) + 1, ?, ?, false, ?, ? FROM activations",
                [month, now(), user, host],
            )

        self._write(push)

    def rollback(self) -> str:
        """Undo the last activation; the release active before it is active again and returned."""
        restored: list[str] = []
        user, host = actor()

        def pop(con: duckdb.DuckDBPyConnection) -> None:
            stack = con.execute(
                "SELECT seq, month FROM activations WHERE NOT rolled_back ORDER BY seq DESC LIMIT 2"
            ).fetchall()
            if len(stack) < 2:
                raise ReleaseError("nothing to roll back to: no release was active before the current one")
            con.execute(
                "UPDATE activations SET rolled_back = true, rolled_back_at = ?, rolled_back_by = ?, "
                "rolled_back_host = ?, rolled_back_to = ? WHERE seq = ?",
                [now(), user, host, stack[1][1], stack[0][0]],
            )
            restored.append(str(stack[1][1]))

        self._write(pop)
        return restored[0]

    def diff(self, old: str | None, new: str) -> ReleaseDiff:
        """Changes from release `old` (None: from nothing) to release `new`."""
        from cardbin.release.diff import diff_releases

        return diff_releases(self.read_release(old) if old else None, self.read_release(new))


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()
    return {str(name) for (name,) in rows}


def _select(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The query of one canonical table of a month (the parameter), columns in canonical order; a column that a
    store written before it was added lacks reads as null until the store's next write. None: no such table."""
    stored = _columns(con, table)
    if not stored:
        return None
    columns = ", ".join(c if c in stored else f"NULL AS {c}" for c in COLUMNS[table])
    return f"SELECT {columns} FROM {table} WHERE month = ? ORDER BY ALL"


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Rows by column name: columns a store of an earlier version lacks read as absent (`.get` → None)."""
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _transaction(con: duckdb.DuckDBPyConnection, action: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """`action` in one transaction: committed whole, or rolled back and re-raised."""
    for statement in MIGRATIONS:
        con.execute(statement)
    con.begin()
    try:
        action(con)
    except BaseException:
        con.rollback()
        raise
    con.commit()
