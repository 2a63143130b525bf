"""The DuckDB release store: versioned monthly releases, the active pointer, diffs."""

from cardbin.store.releases import DB_ENV, ReleaseStore, default_db_path

__all__ = ["DB_ENV", "ReleaseStore", "default_db_path"]
