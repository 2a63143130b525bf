"""hexindai's bin.csv: BIN → Alipay-style bank code, used only to fill bank codes the directory cannot."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cardbin.model import CardType
from cardbin.sources.tables import Layout, Staged, read_with_layouts, staged

ALIPAY_CARD_TYPES: dict[str, CardType] = {"DC": "debit", "CC": "credit", "SCC": "semi_credit", "PC": "prepaid"}

HEXINDAI = Layout(
    name="hexindai",
    columns={"bin": ("bin",), "bank_code": ("bank",), "card_type": ("type",), "pan_length": ("length",)},
    required=("bin", "bank_code", "card_type", "pan_length"),
)


def read_alipay_codes(path: Path) -> Staged:
    """bin, bank_code, card_type (cardbin's names), pan_length (Int8), row."""
    _, frame = read_with_layouts(path, "Alipay BIN list", [HEXINDAI])
    frame = frame.with_columns(
        pl.col("card_type").replace_strict(ALIPAY_CARD_TYPES, default=None),
        pl.col("pan_length").cast(pl.Int8, strict=False),
    )
    return staged("alipay_codes", HEXINDAI.name, path, frame)
