"""DuckDB tables of the release store: one row set per release month in each canonical table.

Release tables are derived from `cardbin.release.schema.TABLES`, so the store keeps exactly the
canonical columns. `activations` is a stack: the active release is its newest entry not rolled back.
"""

from __future__ import annotations

import polars as pl

from cardbin.release.schema import TABLES

_DUCKDB_TYPES: dict[type[pl.DataType], str] = {pl.String: "VARCHAR", pl.Int8: "TINYINT", pl.Int64: "BIGINT"}


def _columns(schema: dict[str, pl.DataType]) -> str:
    return ", ".join(f"{name} {_DUCKDB_TYPES[type(dtype)]}" for name, dtype in schema.items())


DDL = [
    """CREATE TABLE IF NOT EXISTS releases (
        month VARCHAR PRIMARY KEY,
        loaded_at VARCHAR NOT NULL,
        sources VARCHAR NOT NULL,
        counts VARCHAR NOT NULL,
        coverage VARCHAR
    )""",
    # Stores written before coverage was measured: their releases list with coverage null.
    "ALTER TABLE releases ADD COLUMN IF NOT EXISTS coverage VARCHAR",
    """CREATE TABLE IF NOT EXISTS activations (
        seq INTEGER PRIMARY KEY,
        month VARCHAR NOT NULL,
        activated_at VARCHAR NOT NULL,
        rolled_back BOOLEAN NOT NULL
    )""",
    *(
        f"CREATE TABLE IF NOT EXISTS {table} (month VARCHAR NOT NULL, {_columns(schema)})"
        for table, schema in TABLES.items()
    ),
]

ACTIVE_MONTH = "SELECT month FROM activations WHERE NOT rolled_back ORDER BY seq DESC LIMIT 1"
