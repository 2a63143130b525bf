"""Numbered SQL files applied once each, in order, recorded with their checksum in `schema_migrations`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from payout_core.store.clock import to_micros, utcnow
from payout_core.store.errors import MigrationError
from payout_core.store.tx import Tx

MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)"""


def discover(directory: Path = MIGRATIONS) -> list[tuple[int, str, str]]:
    """(version, file name, text) sorted by version; a stray or duplicated file is an error, not skipped."""
    found: dict[int, tuple[int, str, str]] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if m is None:
            raise MigrationError(f"{path.name}: a migration file must be named NNNN_lowercase_name.sql")
        version = int(m.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version:04d} is already taken by {found[version][1]}")
        found[version] = (version, path.name, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apply_pending(tx: Tx, lock: str | None, directory: Path | None = None) -> list[str]:
    """All pending files in ONE transaction (`tx`) under `lock` (the dialect's statement that serialises
    migrators, if BEGIN does not), so concurrent starts migrate once and never half-way."""
    files = discover(directory or MIGRATIONS)
    applied_now: list[str] = []
    if lock:
        tx.one(lock)
    tx.script(_LEDGER)
    done = {int(v): (str(n), str(c)) for v, n, c in tx.all("SELECT version, name, checksum FROM schema_migrations")}
    for version, name, text in files:
        if version in done:
            if done[version] != (name, _checksum(text)):
                raise MigrationError(f"{name}: changed after it was applied as {done[version][0]}; add a new file")
            continue
        tx.script(text)
        tx.send(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
            (version, name, _checksum(text), to_micros(utcnow())),
            rows=1,
            link="record the migration",
        )
        applied_now.append(name)
    return applied_now
