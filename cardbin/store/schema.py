"""DuckDB tables of the release store: one row set per release month in each canonical table.

Release tables are derived from `cardbin.release.schema.TABLES`, so the store keeps exactly the
canonical columns. `activations` is a stack: the active release is its newest entry not rolled back; each
entry also says who activated it (and who rolled it back) from which host, for `release history`.
Columns added after a store was created are added by `MIGRATIONS` the next time it is written.
"""

from __future__ import annotations

META_DDL = [
    """CREATE TABLE IF NOT EXISTS releases (
        month VARCHAR PRIMARY KEY,
        loaded_at VARCHAR NOT NULL,
        sources VARCHAR NOT NULL,
        counts VARCHAR NOT NULL,
        coverage VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS activations (
        seq INTEGER PRIMARY KEY,
        month VARCHAR NOT NULL,
        activated_at VARCHAR NOT NULL,
        rolled_back BOOLEAN NOT NULL
    )""",
]

# Stores written by earlier versions lack these columns; old rows read them as null ("unknown").
MIGRATIONS = [
    "ALTER TABLE releases ADD COLUMN IF NOT EXISTS coverage VARCHAR",  # `cardbin.model.Coverage` (JSON)
    "ALTER TABLE releases ADD COLUMN IF NOT EXISTS base VARCHAR",  # the month the release was built on
    "ALTER TABLE releases ADD COLUMN IF NOT EXISTS report VARCHAR",  # the load's validation report (JSON)
    "ALTER TABLE activations ADD COLUMN IF NOT EXISTS activated_by VARCHAR",
    "ALTER TABLE activations ADD COLUMN IF NOT EXISTS activated_host VARCHAR",
    "ALTER TABLE activations ADD COLUMN IF NOT EXISTS rolled_back_at VARCHAR",
    "ALTER TABLE activations ADD COLUMN IF NOT EXISTS rolled_back_by VARCHAR",
    "ALTER TABLE activations ADD COLUMN IF NOT EXISTS rolled_back_host VARCHAR",
    "ALTER TABLE activations ADD COLUMN IF NOT EXISTS rolled_back_to VARCHAR",
]

ACTIVE_MONTH = "SELECT month FROM activations WHERE NOT rolled_back ORDER BY seq DESC LIMIT 1"


def table_ddl() -> list[str]:
    """CREATE TABLE of every canonical table (imports polars, so only loads pay for it)."""
    import polars as pl

    from cardbin.release.schema import TABLES

    types: dict[type[pl.DataType], str] = {pl.String: "VARCHAR", pl.Int8: "TINYINT", pl.Int64: "BIGINT"}
    return [
        *(
            f"CREATE TABLE IF NOT EXISTS {table} (month VARCHAR NOT NULL, "
            + ", ".join(f"{name} {types[type(dtype)]}" for name, dtype in schema.items())
            + ")"
            for table, schema in TABLES.items()
        ),
        # Columns added to a canonical table later (always at its end): older stores gain them, null for old rows.
        *(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {types[type(dtype)]}"
            for table, schema in TABLES.items()
            for name, dtype in schema.items()
        ),
    ]
