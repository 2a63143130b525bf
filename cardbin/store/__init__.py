"""The DuckDB release store: versioned monthly releases, the active pointer, diffs, the activation history."""

from cardbin.paths import DB_ENV, default_db_path
from cardbin.store.releases import BaseRule, HistoryEntry, ReleaseStore

__all__ = ["DB_ENV", "BaseRule", "HistoryEntry", "ReleaseStore", "default_db_path"]
