"""Fixtures of the release-store tests: an empty store file and the real 2018 UnionPay table as a GBK CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardbin.release.build import Inputs
from cardbin.store import ReleaseStore
from tests.cardbin.builders import CITIES_JSON, GWEESIN, cocolian_rows, write_csv


@pytest.fixture
def store(tmp_path: Path) -> ReleaseStore:
    return ReleaseStore(tmp_path / "releases.duckdb")


@pytest.fixture
def table_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "卡表.csv", cocolian_rows(), encoding="gbk", newline="\r\n")


def full_inputs(table_csv: Path) -> Inputs:
    """A month's three files: the BIN table, the gweesin CNAPS sample and its cities."""
    return Inputs(bin_table=table_csv, cnaps_table=GWEESIN, cities=CITIES_JSON)
