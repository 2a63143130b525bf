"""The files staff enrich, read and written as they really are: CSV in UTF-8/GBK/GB18030, xlsx/xls, Parquet.

Input formats are told by content (a workbook named .csv is read as a workbook); every cell is read as text,
so card numbers keep their leading zeros. The output format follows the target's extension (.csv, .xlsx,
.parquet) and an unknown one is refused before any work. Excel opens a UTF-8 CSV as GBK unless it starts with a
BOM, hence `excel=True`.

A card number typed into Excel as a number is kept to 15 significant digits by Excel, so such a cell may hold
another card than the one meant: those rows are marked (`distrusted`) and answered with an error, never resolved.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from cardbin.errors import InvalidInput, UnreadableSource
from cardbin.sources.tables import decode, is_workbook, read_bytes, sniff_delimiter

PARQUET_MAGIC = b"PAR1"
WRITERS = (".csv", ".xlsx", ".parquet")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
EXCEL_DIGITS = 15  # significant digits Excel keeps of a number


@dataclass(frozen=True)
class CardTable:
    frame: pl.DataFrame
    distrusted: pl.Series | None = None  # rows whose card cell is an Excel number (True), xlsx/xls only


def output_format(path: Path) -> str:
    """`.csv`, `.xlsx` or `.parquet` from the target's name; InvalidInput for anything else or a missing folder."""
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise InvalidInput("target", path.name, f"must end in {', '.join(WRITERS)} (the output format)")
    if not path.parent.is_dir():
        raise InvalidInput("target", str(path), "its folder does not exist")
    return suffix


def read_cards(path: Path, column: str) -> CardTable:
    """Parquet, a workbook's first sheet (header in row 1) or delimited text, every cell as text."""
    with path.open("rb") as f:
        head = f.read(8)
    try:
        if head.startswith(PARQUET_MAGIC):
            return CardTable(pl.read_parquet(path))
        if is_workbook(head):
            return _read_workbook(path, column)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UnreadableSource(str(path), f"cannot read the file: {exc}") from exc
    text = decode(read_bytes(path), path.name)
    separator = sniff_delimiter(text[:65536].splitlines())
    try:
        frame = pl.read_csv(io.BytesIO(text.encode()), infer_schema=False, separator=separator)
    except pl.exceptions.PolarsError as exc:
        raise UnreadableSource(path.name, f"not a delimited table: {exc}") from exc
    return CardTable(frame)


def _read_workbook(path: Path, column: str) -> CardTable:
    try:
        reader = fastexcel.read_excel(str(path))
        frame = reader.load_sheet(0, dtypes="string").to_polars()
        distrusted = None
        if column in frame.columns:
            # Read as booleans, text cells are null and number cells are not: that marks the numbers.
            numbers = reader.load_sheet(0, use_columns=[column], dtypes="boolean").to_polars()[column].is_not_null()
            long = frame[column].str.count_matches(r"\d") > EXCEL_DIGITS
            distrusted = numbers & long.fill_null(False)
    except Exception as exc:  # fastexcel raises its own untyped errors for broken workbooks
        raise UnreadableSource(path.name, f"cannot read the workbook (truncated or damaged?): {exc}") from exc
    return CardTable(frame, distrusted if distrusted is not None and distrusted.any() else None)


def write_table(frame: pl.DataFrame, path: Path, *, excel: bool = False) -> None:
    """`frame` to `path` in the format of its extension, atomically (a failed write leaves no partial file)."""
    suffix = output_format(path)
    if suffix == ".xlsx" and frame.height > XLSX_MAX_ROWS:
        raise InvalidInput("target", path.name, f"an xlsx sheet holds {XLSX_MAX_ROWS:,} rows; write .csv or .parquet")
    staging = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if suffix == ".parquet":
            # zstd level 1: a file no larger than the default level's (the answers are dictionaries), 20 % less CPU.
            frame.write_parquet(staging, compression="zstd", compression_level=1)
        else:
            text = frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
            if suffix == ".csv":
                text.write_csv(staging, include_bom=excel)
            else:
                text.write_excel(staging, autofit=frame.height <= 10_000)
        os.replace(staging, path)
    except OSError as exc:
        raise InvalidInput("target", str(path), f"cannot be written ({exc.strerror or exc})") from exc
    finally:
        staging.unlink(missing_ok=True)
