"""CNAPS participant tables (大小额支付系统行号): Chinese headers, the gweesin layout, or the headerless BOC sample.

Aggregator copies put placeholders where they lack data: BankId 999999999993/4/8 instead of a clearing
bank and group labels such as `C 城市商业银行` instead of a bank name. Those become null here, so they can
never be served as a bank name or a clearing code.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cardbin.errors import UnreadableSource
from cardbin.sources.tables import (
    Layout,
    Staged,
    frame_from_grid,
    read_grid,
    read_with_layouts,
    staged,
    with_null_columns,
)

CHINESE = Layout(
    name="cnaps",
    columns={
        "cnaps_code": ("行号", "联行号", "参与者行号", "支付行号", "银行行号"),
        "name": ("行名", "行名称", "参与者名称", "参与者全称", "网点名称"),
        "bank_category": ("行别", "行别代码", "银行类别"),
        "bank_name": ("银行名称", "所属银行", "银行"),
        "clearing_code": ("清算行号", "清算行行号", "所属清算行号"),
        "city_code": ("城市代码", "城市编码", "城市编号", "所在城市代码"),
    },
    required=("cnaps_code", "name", "city_code"),
)

GWEESIN = Layout(
    name="gweesin",
    columns={
        "cnaps_code": ("BankCode",),
        "name": ("LName",),
        "bank_name": ("BankName",),
        "clearing_code": ("BankId",),
        "city_code": ("CityCode",),
    },
    required=("cnaps_code", "name", "city_code"),
)

# yuechenlei's canps.txt: 行号, 行名, 清算行号, level, bank short code, city code; no header.
HEADERLESS_FIELDS = ("cnaps_code", "name", "clearing_code", "level", "bank_short_code", "city_code")

PLACEHOLDER_CLEARING = r"^9{10}\d{2}$"
GROUP_LABEL = r"^[A-Z]\s"


def _clean(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("clearing_code").str.contains(PLACEHOLDER_CLEARING))
        .then(None)
        .otherwise(pl.col("clearing_code"))
        .alias("clearing_code"),
        pl.when(pl.col("bank_name").str.contains(GROUP_LABEL))
        .then(None)
        .otherwise(pl.col("bank_name"))
        .alias("bank_name"),
        pl.coalesce(pl.col("bank_category"), pl.col("cnaps_code").str.slice(0, 3)).alias("bank_category"),
    ).select(["cnaps_code", "name", "bank_category", "bank_name", "clearing_code", "city_code", "row"])


def _headerless(path: Path) -> pl.DataFrame | None:
    grid = read_grid(path)
    if not grid:
        return None
    first = grid[0][1]
    if len(first) != len(HEADERLESS_FIELDS) or not (first[0] or "").isdigit() or len(first[0] or "") != 12:
        return None
    return frame_from_grid(grid, HEADERLESS_FIELDS)


def read_cnaps_table(path: Path) -> Staged:
    """Any accepted CNAPS layout → cnaps_code, name, bank_category, bank_name, clearing_code, city_code, row."""
    try:
        layout, frame = read_with_layouts(path, "CNAPS table", [CHINESE, GWEESIN])
        name = layout.name
    except UnreadableSource:
        headerless = _headerless(path) if path.is_file() else None
        if headerless is None:
            raise
        name, frame = "headerless", headerless
    return staged("cnaps_table", name, path, _clean(with_null_columns(frame, ("bank_category", "bank_name"))))
