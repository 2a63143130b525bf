"""The canonical tables of a release: the one contract between loading and serving.

Readers in `cardbin.sources` turn every monthly layout into these frames; the DuckDB store keeps exactly
these columns; the resolver's index is built from them. Digit strings stay strings (leading zeros).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from cardbin.model import BinRecord, City, SourceFile
from cardbin.release.rows import COLUMNS, BranchRow, ReleaseRows, SegmentRow

BINS: dict[str, pl.DataType] = {
    "bin": pl.String(),  # fixed prefix of the 主账号 pattern
    "pan_length": pl.Int8(),
    "issuer_name": pl.String(),
    "issuer_code": pl.String(),  # 8-digit 机构代码, null when the source has none
    "card_name": pl.String(),  # null when empty or "--"
    "card_type": pl.String(),  # debit | credit | semi_credit | prepaid
    "bank_code": pl.String(),  # bank directory short code (ICBC …), null when unknown
    "source": pl.String(),  # where a merged table's row comes from (aespark, hexindai); null: the BIN table loaded
}

BRANCHES: dict[str, pl.DataType] = {
    "cnaps_code": pl.String(),
    "name": pl.String(),
    "bank_category": pl.String(),  # 3-digit 行别
    "bank_name": pl.String(),  # null when the source gives only a group label (C 城市商业银行)
    "clearing_code": pl.String(),  # head-office / 清算行号, null when unknown or a placeholder
    "city_code": pl.String(),  # from the table's own column, not digits 4–7 of the code
    "source": pl.String(),  # bank_directory for a head office added from the directory; null: the CNAPS table
}

CITIES: dict[str, pl.DataType] = {
    "city_code": pl.String(),
    "city": pl.String(),
    "province": pl.String(),
    "province_code": pl.String(),
}

# Optional card-segment table: card-number prefix → CNAPS city code (卡号段归属地).
SEGMENTS: dict[str, pl.DataType] = {
    "prefix": pl.String(),
    "city_code": pl.String(),
}

TABLES: dict[str, dict[str, pl.DataType]] = {
    "bins": BINS,
    "branches": BRANCHES,
    "cities": CITIES,
    "segments": SEGMENTS,
}


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=TABLES[table])


def conform(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with exactly the table's columns, in order and cast; missing optional columns are null."""
    schema = TABLES[table]
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


@dataclass(frozen=True)
class ReleaseData:
    """All tables of one release in memory; what the store saves and what the resolver indexes."""

    month: str
    bins: pl.DataFrame
    branches: pl.DataFrame
    cities: pl.DataFrame
    segments: pl.DataFrame = field(default_factory=lambda: empty("segments"))
    loaded_at: str = ""
    sources: tuple[SourceFile, ...] = ()

    def rows(self) -> ReleaseRows:
        """The tables as Python rows, for the resolver's index."""
        return ReleaseRows(
            month=self.month,
            bins=[BinRecord(**row) for row in self.bins.select(COLUMNS["bins"]).iter_rows(named=True)],
            branches=[BranchRow(*row) for row in self.branches.select(COLUMNS["branches"]).iter_rows()],
            cities=[City(**row) for row in self.cities.select(COLUMNS["cities"]).iter_rows(named=True)],
            segments=[SegmentRow(*row) for row in self.segments.select(COLUMNS["segments"]).iter_rows()],
        )
