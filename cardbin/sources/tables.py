"""Turn any delimited text or spreadsheet into a frame of strings named by its header row.

Monthly files arrive as .xls/.xlsx/CSV/TSV, in GBK/GB18030 or UTF-8 (with or without BOM), with CRLF or
LF, and often with title rows above the header. Everything is read as text (leading zeros of 机构代码 and
行号 matter) and every row keeps its line number in the file, so a problem can point back to it.

Files are told apart by their content, not their name: a workbook saved as `.csv` is read as a workbook and
a text export named `.xls` as text. What cannot be read (binary data, bytes of no accepted encoding, a file
mixing UTF-8 and GB18030 rows, an empty or truncated file) raises UnreadableSource naming the line.
"""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from cardbin.errors import UnreadableSource
from cardbin.model import SourceFile

ROW = "row"  # 1-based line (or sheet row) number of each data row in its file
HEADER_SEARCH_ROWS = 30
# Zip containers (xlsx, xlsm, ods) and OLE2 compound files (xls): how a workbook starts, whatever its name.
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
BOM = b"\xef\xbb\xbf"


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


def read_bytes(path: Path) -> bytes:
    """The file's bytes; UnreadableSource (not an OSError traceback) when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableSource(str(path), f"cannot read the file ({exc.strerror or exc})") from exc


def is_workbook(data: bytes) -> bool:
    return data.startswith(WORKBOOK_MAGIC)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, name: str = "file") -> str:
    """UTF-8 (BOM stripped) when it decodes cleanly, else GB18030, the superset of GBK that UnionPay files use.

    UnreadableSource, naming the line and byte offset, for an empty file, binary data, bytes that are neither
    encoding, and a file mixing UTF-8 and GB18030 rows (GB18030 would decode the UTF-8 rows into wrong text).
    """
    if not data.strip():
        raise UnreadableSource(name, "empty file: no rows at all", rule="empty_file")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = _line_of(data, nul)
        raise UnreadableSource(
            name,
            f"binary data, not a text table (a NUL byte at byte offset {nul}, line {line})",
            row=line,
            rule="binary_file",
        )
    body = data.removeprefix(BOM)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start + len(data) - len(body)
    if body is not data:
        line = _line_of(data, first_bad)
        raise UnreadableSource(
            name,
            f"mixed encodings: the file is UTF-8 (it starts with a BOM) but line {line} is not "
            f"(byte offset {first_bad}); save the file in one encoding",
            row=line,
            rule="mixed_encoding",
        )
    gb_line = _line_of(data, first_bad)  # the first line that is not UTF-8: GB18030 if anything
    utf8_line = _first_utf8_chinese_line(data)
    if utf8_line is not None:
        raise UnreadableSource(
            name,
            f"mixed encodings: line {utf8_line} is UTF-8 but line {gb_line} is not (GB18030?); save the file in one "
            "encoding",
            row=max(utf8_line, gb_line),
            rule="mixed_encoding",
        )
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise UnreadableSource(
            name,
            f"neither UTF-8 nor GB18030 text: undecodable bytes at byte offset {exc.start} (line {line})",
            row=line,
            rule="encoding",
        ) from None


def _first_utf8_chinese_line(data: bytes) -> int | None:
    """The first line that is valid UTF-8 with at least two Chinese characters (a GB18030 line almost never is)."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if sum(1 for c in text if unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH")) >= 2:
            return number
    return None


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().strip("\ufeff").strip()
    return value or None


Grid = list[tuple[int, list[str | None]]]


def read_grids(path: Path) -> list[Grid]:
    """Per sheet (one for a text file): (line number, stripped cells) of every non-empty row."""
    if not path.is_file():
        raise UnreadableSource(str(path), "no such file")
    data = read_bytes(path)
    if is_workbook(data):
        try:
            reader = fastexcel.read_excel(data)
            sheets = [
                reader.load_sheet(name, header_row=None, dtypes="string").to_polars() for name in reader.sheet_names
            ]
        except Exception as exc:  # fastexcel raises its own untyped errors for broken workbooks
            raise UnreadableSource(str(path), f"cannot read the workbook (truncated or damaged?): {exc}") from exc
        grids = [list(enumerate(([_cell(v) for v in r] for r in sheet.iter_rows()), start=1)) for sheet in sheets]
    else:
        lines = decode(data, str(path)).splitlines()
        reader_rows = csv.reader(lines, delimiter=sniff_delimiter(lines))
        try:
            grids = [[(n, [_cell(v) for v in cells]) for n, cells in enumerate(reader_rows, start=1)]]
        except csv.Error as exc:
            line = reader_rows.line_num
            raise UnreadableSource(str(path), f"not a delimited table at line {line}: {exc}", row=line) from exc
    grids = [[(n, cells) for n, cells in grid if any(cells)] for grid in grids]
    if not any(grids):
        raise UnreadableSource(str(path), "no rows with any value", rule="empty_file")
    return grids


def read_grid(path: Path) -> Grid:
    """The first sheet's (or the text file's) non-empty rows: for headerless layouts."""
    return read_grids(path)[0]


def sniff_delimiter(lines: Sequence[str]) -> str:
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
