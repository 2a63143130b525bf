"""Shared fixtures: paths to real data files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
UNLICENSED = ROOT / "tests" / "fixtures" / "unlicensed"


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return RAW


@pytest.fixture(scope="session")
def unlicensed_dir() -> Path:
    return UNLICENSED
