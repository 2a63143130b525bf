"""Where bundled data lives: inside an installed wheel (cardbin/_data) or in the repository's data/."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_data"
DATA_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "data"
BANKS_DIR = DATA_DIR / "banks"
DEFAULT_RELEASE_DIR = DATA_DIR / "default"
