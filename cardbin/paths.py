"""Where data lives: the bundled data inside an installed wheel (cardbin/_data) or the repository's data/, and the
environment variable naming the release store."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_data"
DATA_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "data"
BANKS_DIR = DATA_DIR / "banks"
DEFAULT_RELEASE_DIR = DATA_DIR / "default"

DB_ENV = "CARDBIN_DB"  # the DuckDB release store; unset: serve the bundled release


def default_db_path() -> Path | None:
    """The database named by CARDBIN_DB; None means: serve the bundled release."""
    value = os.environ.get(DB_ENV, "").strip()
    return Path(value) if value else None
