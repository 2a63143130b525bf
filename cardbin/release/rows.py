"""A release's canonical tables as plain Python rows: what the resolver's index is built from.

The same columns, in the same order, as `cardbin.release.schema` (a test holds them equal), without polars: the
store reads them straight from DuckDB, so opening a release for a lookup never imports a frame library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cardbin.model import BinRecord, City


class BranchRow(NamedTuple):
    """One row of the canonical branches table."""

    cnaps_code: str
    name: str
    bank_category: str
    bank_name: str | None
    clearing_code: str | None
    city_code: str
    source: str | None


class SegmentRow(NamedTuple):
    """One row of the canonical card-segment table: card-number prefix → CNAPS city code."""

    prefix: str
    city_code: str


@dataclass(frozen=True)
class ReleaseRows:
    month: str
    bins: Sequence[BinRecord]
    branches: Sequence[BranchRow]
    cities: Sequence[City]
    segments: Sequence[SegmentRow] = ()


# Column order of each table as the rows above hold it (BIN rows and cities are the model's Structs).
COLUMNS: dict[str, tuple[str, ...]] = {
    "bins": BinRecord.__struct_fields__,
    "branches": BranchRow._fields,
    "cities": City.__struct_fields__,
    "segments": SegmentRow._fields,
}
