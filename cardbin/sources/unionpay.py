"""UnionPay card tables (卡表): the full table by its Chinese headers, and the aespark TSV derived from it.

The BIN used for matching is the fixed-digit prefix of 主账号 (`622202xxxxxxxxxxxxx` → 622202), not
发卡行标识取值, which in real tables may come from another track offset or have lost leading zeros; the
declared value is kept only so validation can report the disagreement.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cardbin.sources.tables import Layout, Staged, read_with_layouts, staged, with_null_columns

FULL_TABLE = Layout(
    name="unionpay",
    columns={
        "issuer_name": ("发卡行名称", "发卡机构名称", "银行名称"),
        "issuer_code": ("机构代码", "发卡机构代码", "发卡行机构代码"),
        "card_name": ("卡名", "卡名称"),
        "pan_length": ("主账号长度",),
        "pan_pattern": ("主账号", "主账号取值"),
        "declared_bin_length": ("发卡行标识长度",),
        "declared_bin": ("发卡行标识取值",),
        "card_type": ("卡种", "卡类型", "卡性质"),
    },
    required=("issuer_name", "pan_length", "pan_pattern", "card_type"),
)

# aespark's bankBIN.txt: 卡头 / BIN长度 / 长度 / 卡类型 / 银行 (no 机构代码, no card name, no PAN pattern).
AESPARK = Layout(
    name="aespark",
    columns={
        "declared_bin": ("卡头",),
        "declared_bin_length": ("BIN长度",),
        "pan_length": ("长度",),
        "card_type": ("卡类型",),
        "issuer_name": ("银行",),
    },
    required=("declared_bin", "pan_length", "card_type", "issuer_name"),
)

# Columns every staged BIN frame has; validation reads them, `finish_bins` drops the helper ones.
STAGED_BIN_COLUMNS = (
    "bin",
    "pan_length",
    "issuer_name",
    "issuer_code",
    "card_name",
    "card_type",
    "pan_pattern",
    "declared_bin",
    "declared_bin_length",
    "pan_offset",
    "bin_offset",
)


def fixed_prefix(pattern: pl.Expr) -> pl.Expr:
    """Leading digits of a 主账号 pattern: the part of every card number of the row that is fixed."""
    return pattern.str.extract(r"^(\d+)", 1)


def stage_bins(frame: pl.DataFrame) -> pl.DataFrame:
    """Reader output with every staged BIN column; BIN from the pattern when there is one, else the declared value."""
    frame = with_null_columns(frame, [c for c in STAGED_BIN_COLUMNS if c != "bin"])
    return frame.with_columns(
        pl.when(pl.col("pan_pattern").is_not_null())
        .then(fixed_prefix(pl.col("pan_pattern")))
        .otherwise(pl.col("declared_bin"))
        .alias("bin")
    ).select([*STAGED_BIN_COLUMNS, *(c for c in frame.columns if c not in STAGED_BIN_COLUMNS)])


def read_bin_table(path: Path) -> Staged:
    """A full UnionPay card table (.xls/.xlsx/CSV/TSV, any of the accepted encodings) or aespark's bankBIN.txt."""
    layout, frame = read_with_layouts(path, "BIN table", [FULL_TABLE, AESPARK])
    return staged("bin_table", layout.name, path, stage_bins(frame))
