"""Versioned releases in one DuckDB file: load (all or nothing), list, read, activate, roll back, diff.

Every operation opens its own short connection, so no process holds the file longer than it must and
servers in other processes can keep polling `active_month`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import msgspec
import polars as pl

from cardbin.errors import ReleaseError, ReleaseNotFound
from cardbin.model import Coverage, ReleaseInfo, SourceFile
from cardbin.release.build import Built, Inputs, build_release, check_month
from cardbin.release.diff import ReleaseDiff, diff_releases
from cardbin.release.schema import TABLES, ReleaseData, conform
from cardbin.store.connection import connect
from cardbin.store.schema import ACTIVE_MONTH, DDL
from cardbin.validate import Options

DB_ENV = "CARDBIN_DB"


def default_db_path() -> Path | None:
    """The database named by CARDBIN_DB; None means: serve the bundled release."""
    value = os.environ.get(DB_ENV, "").strip()
    return Path(value) if value else None


class ReleaseStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # --- reading -----------------------------------------------------------------------------------

    def _query(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        """Rows of a read-only query; an absent file or an uninitialised one reads as empty."""
        if not self.path.exists():
            return []
        with connect(self.path, read_only=True) as con:
            try:
                return con.execute(sql, params or []).fetchall()
            except duckdb.CatalogException:
                return []

    def active_month(self) -> str | None:
        rows = self._query(ACTIVE_MONTH)
        return str(rows[0][0]) if rows else None

    def list_releases(self) -> list[ReleaseInfo]:
        active = self.active_month()
        # A store written before coverage was measured has no such column until its next write.
        columns = self._query("SELECT column_name FROM information_schema.columns WHERE table_name = 'releases'")
        coverage_column = "coverage" if ("coverage",) in columns else "NULL"
        rows = self._query(f"SELECT month, loaded_at, sources, counts, {coverage_column} FROM releases ORDER BY month")
        return [
            ReleaseInfo(
                month=str(month),
                loaded_at=str(loaded_at),
                active=month == active,
                sources=msgspec.json.decode(str(sources), type=list[SourceFile]),
                counts=msgspec.json.decode(str(counts), type=dict[str, int]),
                coverage=msgspec.json.decode(str(coverage), type=Coverage) if coverage is not None else None,
            )
            for month, loaded_at, sources, counts, coverage in rows
        ]

    def _month_or_active(self, month: str | None) -> str:
        if month is None:
            active = self.active_month()
            if active is None:
                raise ReleaseNotFound(f"{self.path}: no active release (activate one with `cardbin release activate`)")
            return active
        return month

    def read_release(self, month: str | None = None) -> ReleaseData:
        """All tables of a release (None: the active one)."""
        month = self._month_or_active(month)
        if not self.path.exists():
            raise ReleaseNotFound(f"{self.path}: no such database")
        with connect(self.path, read_only=True) as con:
            try:
                found = con.execute("SELECT loaded_at, sources FROM releases WHERE month = ?", [month]).fetchall()
                if not found:
                    raise ReleaseNotFound(f"release {month} is not in {self.path}")
                meta = found[0]
                tables = {
                    table: conform(
                        table,
                        con.sql(
                            f"SELECT {', '.join(schema)} FROM {table} WHERE month = ? ORDER BY ALL", params=[month]
                        ).pl(),
                    )
                    for table, schema in TABLES.items()
                }
            except duckdb.CatalogException as exc:
                raise ReleaseNotFound(f"{self.path}: not a cardbin release store") from exc
        return ReleaseData(
            month=month,
            loaded_at=str(meta[0]),
            sources=tuple(msgspec.json.decode(str(meta[1]), type=list[SourceFile])),
            bins=tables["bins"],
            branches=tables["branches"],
            cities=tables["cities"],
            segments=tables["segments"],
        )

    def previous_month(self, month: str) -> str | None:
        """The newest stored month before `month`: the release a monthly change list applies to."""
        rows = self._query("SELECT max(month) FROM releases WHERE month < ?", [month])
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    # --- writing -----------------------------------------------------------------------------------

    def _write(self, action: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Run `action` in one transaction on a read-write connection; all of it or none of it is stored."""
        with connect(self.path, read_only=False) as con:
            for statement in DDL:
                con.execute(statement)
            con.begin()
            try:
                action(con)
            except BaseException:
                con.rollback()
                raise
            con.commit()

    def save(self, release: ReleaseData, coverage: Coverage | None = None) -> ReleaseInfo:
        """Store a built release, inactive, with its coverage. Months are immutable: an existing month is refused."""
        check_month(release.month)
        counts = {table: getattr(release, table).height for table in TABLES}

        def insert(con: duckdb.DuckDBPyConnection) -> None:
            if con.execute("SELECT 1 FROM releases WHERE month = ?", [release.month]).fetchall():
                raise ReleaseError(f"release {release.month} already exists; releases are never overwritten")
            con.execute(
                "INSERT INTO releases (month, loaded_at, sources, counts, coverage) VALUES (?, ?, ?, ?, ?)",
                [
                    release.month,
                    release.loaded_at,
                    msgspec.json.encode(list(release.sources)).decode(),
                    msgspec.json.encode(counts).decode(),
                    msgspec.json.encode(coverage).decode() if coverage is not None else None,
                ],
            )
            for table in TABLES:
                frame: pl.DataFrame = conform(table, getattr(release, table))
                con.register("staged_frame", frame)
                try:
                    con.execute(f"INSERT INTO {table} SELECT ? AS month, * FROM staged_frame", [release.month])
                finally:
                    con.unregister("staged_frame")

        self._write(insert)
        return ReleaseInfo(
            month=release.month,
            loaded_at=release.loaded_at,
            active=False,
            sources=list(release.sources),
            counts=counts,
            coverage=coverage,
        )

    def load(
        self,
        month: str,
        inputs: Inputs,
        *,
        options: Options | None = None,
        step: Callable[[str], None] | None = None,
        measure: Callable[[ReleaseData], Coverage] | None = None,
    ) -> tuple[ReleaseInfo, Built]:
        """Read, validate and store a month's files as an inactive release (LoadRefused: nothing stored).

        Tables not given, and a change list's base, come from the newest stored release before `month`.
        `measure` (e.g. `cardbin.resolve.coverage.release_coverage`) gives the coverage stored with it.
        """
        check_month(month)
        base = self.previous_month(month)
        previous = self.read_release(base) if base else None
        built = build_release(month, inputs, previous=previous, options=options, step=step)
        coverage = measure(built.release) if measure is not None else None
        if step and measure is not None:
            step("coverage")
        info = self.save(built.release, coverage)
        if step:
            step("store")
        return info, built

    def activate(self, month: str) -> None:
        activated_at = datetime.now(UTC).isoformat(timespec="seconds")

        def push(con: duckdb.DuckDBPyConnection) -> None:
            if not con.execute("SELECT 1 FROM releases WHERE month = ?", [month]).fetchall():
                raise ReleaseNotFound(f"release {month} is not in {self.path}")
            con.execute(
                "INSERT INTO activations SELECT coalesce(max(seq), 0) + 1, ?, ?, false FROM activations",
                [month, activated_at],
            )

        self._write(push)

    def rollback(self) -> str:
        """Undo the last activation; the release active before it is active again and returned."""
        restored: list[str] = []

        def pop(con: duckdb.DuckDBPyConnection) -> None:
            stack = con.execute(
                "SELECT seq, month FROM activations WHERE NOT rolled_back ORDER BY seq DESC LIMIT 2"
            ).fetchall()
            if len(stack) < 2:
                raise ReleaseError("nothing to roll back to: no release was active before the current one")
            con.execute("UPDATE activations SET rolled_back = true WHERE seq = ?", [stack[0][0]])
            restored.append(str(stack[1][1]))

        self._write(pop)
        return restored[0]

    def diff(self, old: str | None, new: str) -> ReleaseDiff:
        """Changes from release `old` (None: from nothing) to release `new`."""
        return diff_releases(self.read_release(old) if old else None, self.read_release(new))
