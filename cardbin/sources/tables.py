"""Turn any delimited text or spreadsheet into a frame of strings named by its header row.

Monthly files arrive as .xls/.xlsx/CSV/TSV, in GBK/GB18030 or UTF-8 (with or without BOM), with CRLF or
LF, and often with title rows above the header. Everything is read as text (leading zeros of 机构代码 and
行号 matter) and every row keeps its line number in the file, so a problem can point back to it.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from cardbin.errors import UnreadableSource
from cardbin.model import SourceFile

ROW = "row"  # 1-based line (or sheet row) number of each data row in its file
EXCEL_SUFFIXES = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods"})
HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Layout:
    """A known header layout: canonical field → the header texts that mean it; `required` identify the layout."""

    name: str
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]


@dataclass(frozen=True)
class Staged:
    """One input file read into canonical (still textual) columns plus `row`, with its provenance."""

    kind: str
    layout: str
    path: Path
    frame: pl.DataFrame
    source: SourceFile


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(data: bytes) -> str:
    """UTF-8 (BOM stripped) when it decodes cleanly, else GB18030, the superset of GBK that UnionPay files use."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().strip("\ufeff").strip()
    return value or None


Grid = list[tuple[int, list[str | None]]]


def read_grids(path: Path) -> list[Grid]:
    """Per sheet (one for a text file): (line number, stripped cells) of every non-empty row."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            reader = fastexcel.read_excel(str(path))
            sheets = [
                reader.load_sheet(name, header_row=None, dtypes="string").to_polars() for name in reader.sheet_names
            ]
        except Exception as exc:  # fastexcel raises its own untyped errors for broken workbooks
            raise UnreadableSource(str(path), f"cannot read the workbook: {exc}") from exc
        grids = [list(enumerate(([_cell(v) for v in r] for r in sheet.iter_rows()), start=1)) for sheet in sheets]
    else:
        lines = decode(path.read_bytes()).splitlines()
        reader_rows = csv.reader(lines, delimiter=_delimiter(lines))
        grids = [[(n, [_cell(v) for v in cells]) for n, cells in enumerate(reader_rows, start=1)]]
    return [[(n, cells) for n, cells in grid if any(cells)] for grid in grids]


def read_grid(path: Path) -> Grid:
    """The first sheet's (or the text file's) non-empty rows: for headerless layouts."""
    return read_grids(path)[0]


def _delimiter(lines: Sequence[str]) -> str:
    """Tab when the first lines use tabs (TSV, 城市编码), else comma."""
    sample = [line for line in lines[:HEADER_SEARCH_ROWS] if line.strip()]
    tabs = sum(line.count("\t") for line in sample)
    commas = sum(line.count(",") for line in sample)
    return "\t" if tabs > commas else ","


def _header_cells(cells: list[str | None]) -> list[str]:
    """Header cells; a header typed with spaces instead of tabs (城市编码) is split on whitespace."""
    names = [c or "" for c in cells]
    if len([c for c in names if c]) == 1 and " " in names[0]:
        return names[0].split()
    return names


def frame_from_grid(grid: list[tuple[int, list[str | None]]], names: Sequence[str], start: int = 0) -> pl.DataFrame:
    """Rows from `start` on as a string frame with the given column names (missing cells are null) plus `row`."""
    width = len(names)
    body = grid[start:]
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    for _, cells in body:
        padded = (cells + [None] * width)[:width]
        for name, value in zip(names, padded, strict=True):
            columns[name].append(value)
    frame = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String()))
    return frame.with_columns(pl.Series(ROW, [n for n, _ in body], dtype=pl.Int64))


def with_null_columns(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """`frame` with each of `names` it lacks added as a null string column: a layout without a field still has it."""
    return frame.with_columns(pl.lit(None, pl.String()).alias(name) for name in names if name not in frame.columns)


def read_with_layouts(path: Path, kind: str, layouts: Sequence[Layout]) -> tuple[Layout, pl.DataFrame]:
    """Find the first layout whose required headers appear in one of the first rows; canonical columns + `row`."""
    if not path.is_file():
        raise UnreadableSource(str(path), "no such file")
    for grid in read_grids(path):
        found = _find_header(grid, layouts)
        if found is not None:
            index, layout, positions = found
            width = max(positions.values()) + 1
            raw = frame_from_grid(grid, [f"c{i}" for i in range(width)], start=index + 1)
            columns = [
                (pl.col(f"c{positions[field]}") if field in positions else pl.lit(None, pl.String())).alias(field)
                for field in layout.columns
            ]
            return layout, raw.select([*columns, pl.col(ROW)])
    wanted = " | ".join(f"{layout.name}: {', '.join(layout.required)}" for layout in layouts)
    raise UnreadableSource(
        str(path), f"no {kind} header found in the first {HEADER_SEARCH_ROWS} rows (expected {wanted})"
    )


def _find_header(grid: Grid, layouts: Sequence[Layout]) -> tuple[int, Layout, dict[str, int]] | None:
    """(row index, layout, field → column) of the first row among the first ones that is a known header."""
    for index, (_, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        header = _header_cells(cells)
        for layout in layouts:
            positions = _match(header, layout)
            if positions is not None:
                return index, layout, positions
    return None


def _match(header: list[str], layout: Layout) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    for field, aliases in layout.columns.items():
        for i, cell in enumerate(header):
            if cell in aliases:
                positions[field] = i
                break
    return positions if all(field in positions for field in layout.required) else None


def staged(kind: str, layout: str, path: Path, frame: pl.DataFrame) -> Staged:
    source = SourceFile(kind=kind, name=path.name, sha256=sha256(path), rows=frame.height)
    return Staged(kind=kind, layout=layout, path=path, frame=frame, source=source)
