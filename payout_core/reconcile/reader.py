"""Read a channel's statement file (CSV in UTF-8/GBK/GB18030, or xlsx) in the layout its profile declares.

The file is read whole and checked whole before anything is stored: any malformed line refuses the statement with
the file, the row (line or sheet row, 1-based) and the rule it breaks (`StatementRefused`). Values quoted in an error
go through cardbin.redact, so a card number in a stray cell never reaches a message.
"""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import msgspec
import polars as pl

from cardbin.redact import redact
from payout_core.channels import LineStatus, StatementLayout
from payout_core.days import CHINA
from payout_core.reconcile.errors import StatementRefused

ROW = "__row"
_YUAN = re.compile(r"^\d+(?:\.\d{1,2})?$")
_FEN = re.compile(r"^\d+$")
_BOM = "\ufeff"


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    order_no: str
    channel_ref: str | None
    status: LineStatus
    amount: int  # fen, > 0
    finished_at: datetime


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    sha256: str
    lines: list[StatementLine]
    closing_balance: int | None  # None: the layout names no closing-balance line


def read_statement(path: Path, layout: StatementLayout, day: date) -> Statement:
    """Every line of business `day` (Beijing time, the layout's cut-off) as it stands in the file, or a refusal."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StatementRefused(name, 0, "readable", f"cannot read the file ({exc.strerror or exc})") from None
    grid, closing = _xlsx(name, data, layout) if layout.format == "xlsx" else _csv(name, data, layout)
    lines = _lines(name, grid, layout, day)
    seen: dict[tuple[str, str], int] = {}
    for line in lines:
        key = (line.order_no, line.status)
        if key in seen:
            raise StatementRefused(name, line.row, "one line per order and status", f"as row {seen[key]}")
        seen[key] = line.row
    if layout.closing_balance_label is not None and closing is None:
        raise StatementRefused(name, 0, "closing balance", f"no line starts with {layout.closing_balance_label!r}")
    return Statement(file=path.name, sha256=hashlib.sha256(data).hexdigest(), lines=lines, closing_balance=closing)


def _decode(name: str, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding).removeprefix(_BOM)
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise StatementRefused(name, row, f"{encoding} text", f"undecodable bytes at offset {exc.start}") from None


def _amount(name: str, row: int, text: str | None, layout: StatementLayout, what: str) -> int:
    value = (text or "").strip()
    pattern = _YUAN if layout.amount_unit == "yuan" else _FEN
    if not pattern.match(value):
        unit = "yuan with at most 2 decimals" if layout.amount_unit == "yuan" else "whole fen"
        raise StatementRefused(name, row, f"{what} in {unit}", f"got {redact(value)!r}")
    return int(Decimal(value) * 100) if layout.amount_unit == "yuan" else int(value)


def _closing(name: str, row: int, cells: list[str | None], layout: StatementLayout) -> int:
    return _amount(name, row, next((c for c in cells[1:] if c), None), layout, "closing balance")


def _csv(name: str, data: bytes, layout: StatementLayout) -> tuple[pl.DataFrame, int | None]:
    """The header and data lines as a string frame (plus each line's number); notes and the balance line apart."""
    text = _decode(name, data, layout.encoding)
    lines = text.splitlines()
    if len(lines) < layout.header_row:
        raise StatementRefused(name, len(lines), "header row", f"the layout puts it on line {layout.header_row}")
    body: list[tuple[int, str]] = []
    closing: int | None = None
    for number, line in enumerate(lines[layout.header_row :], start=layout.header_row + 1):
        if not line.strip() or (layout.comment_prefix and line.startswith(layout.comment_prefix)):
            continue
        cells: list[str | None] = [c.strip() for c in next(csv.reader([line], delimiter=layout.delimiter))]
        if layout.closing_balance_label is not None and cells and cells[0] == layout.closing_balance_label:
            closing = _closing(name, number, cells, layout)
            continue
        body.append((number, line))
    header = lines[layout.header_row - 1]
    width = len(next(csv.reader([header], delimiter=layout.delimiter)))
    for number, line in body:
        cells_n = len(next(csv.reader([line], delimiter=layout.delimiter)))
        if cells_n != width:
            raise StatementRefused(name, number, "cells per row", f"{cells_n} cells, the header has {width}")
    source = "\n".join([header, *(line for _, line in body)]).encode()
    try:
        frame = pl.read_csv(source, separator=layout.delimiter, infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError as exc:
        raise StatementRefused(name, layout.header_row, "a delimited table", str(exc).splitlines()[0]) from None
    if frame.height != len(body):
        raise StatementRefused(name, layout.header_row, "one line per row", "a quoted cell spans lines")
    frame = frame.with_columns(pl.Series(ROW, [n for n, _ in body], dtype=pl.Int64))
    return frame, closing


def _xlsx(name: str, data: bytes, layout: StatementLayout) -> tuple[pl.DataFrame, int | None]:
    try:
        sheet = pl.read_excel(data, has_header=False, infer_schema_length=0, drop_empty_rows=False)
    except Exception as exc:  # fastexcel raises its own untyped errors for a damaged workbook
        raise StatementRefused(name, 0, "an xlsx workbook", f"cannot be read ({type(exc).__name__})") from None
    rows = sheet.rows()
    if len(rows) < layout.header_row:
        raise StatementRefused(name, len(rows), "header row", f"the layout puts it on row {layout.header_row}")
    header = [(c or "").strip() for c in rows[layout.header_row - 1]]
    kept: list[list[str | None]] = []
    numbers: list[int] = []
    closing: int | None = None
    for number, row in enumerate(rows[layout.header_row :], start=layout.header_row + 1):
        cells = [None if c is None else str(c).strip() or None for c in row]
        first = cells[0] if cells else None
        if not any(cells) or (layout.comment_prefix and first and first.startswith(layout.comment_prefix)):
            continue
        if layout.closing_balance_label is not None and first == layout.closing_balance_label:
            closing = _closing(name, number, cells, layout)
            continue
        kept.append(cells)
        numbers.append(number)
    names = [h or f"column {i + 1}" for i, h in enumerate(header)]
    frame = pl.DataFrame(kept, schema=dict.fromkeys(names, pl.String()), orient="row")
    return frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64)), closing


def _lines(name: str, frame: pl.DataFrame, layout: StatementLayout, day: date) -> list[StatementLine]:
    cols = layout.columns
    wanted = {"order_no": cols.order_no, "amount": cols.amount, "status": cols.status, "finished_at": cols.finished_at}
    if cols.channel_ref is not None:
        wanted["channel_ref"] = cols.channel_ref
    missing = [header for header in wanted.values() if header not in frame.columns]
    if missing:
        raise StatementRefused(name, layout.header_row, "header", f"no column {missing[0]!r}")
    picked = frame.select([pl.col(h).str.strip_chars().alias(f) for f, h in wanted.items()] + [pl.col(ROW)])
    start, end = layout.day_window(day)
    lines = []
    for rec in picked.iter_rows(named=True):
        row = int(rec[ROW])
        order_no = rec["order_no"]
        if not order_no:
            raise StatementRefused(name, row, "order number", f"column {cols.order_no!r} is empty")
        status = layout.status.meaning(rec["status"] or "")
        if status is None:
            raise StatementRefused(name, row, "status value", f"{redact(rec['status'] or '')!r} is not in the layout")
        amount = _amount(name, row, rec["amount"], layout, "amount")
        if amount <= 0:
            raise StatementRefused(name, row, "amount", "must be more than 0")
        try:
            at = datetime.strptime(rec["finished_at"] or "", layout.time_format).replace(tzinfo=CHINA)
        except ValueError:
            value = redact(rec["finished_at"] or "")
            raise StatementRefused(name, row, f"time as {layout.time_format}", f"got {value!r}") from None
        if not start <= at < end:
            raise StatementRefused(name, row, f"within business day {day}", f"{at.isoformat()} is outside it")
        lines.append(
            StatementLine(
                row=row,
                order_no=order_no,
                channel_ref=rec.get("channel_ref") or None,
                status=status,
                amount=amount,
                finished_at=at,
            )
        )
    return lines
