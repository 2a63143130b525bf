"""The fake channel's statements (对账单): its truth for one business day, written in a layout its profile declares.

Two layouts, as real channels differ: a GBK CSV with `#` note lines and a closing-balance line, and an xlsx
workbook. Amounts in yuan with two decimals; times in Beijing time.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import xlsxwriter

from payout_core.channels import StatementColumns, StatementLayout, StatusValues
from payout_core.days import CHINA
from payout_core.store import from_micros
from tests.fakechannel.runner import FakeChannel
from tests.fakechannel.wire import StatementData

_COLUMNS = StatementColumns(
    order_no="商户订单号", amount="金额(元)", status="状态", finished_at="完成时间", channel_ref="渠道流水号"
)
_STATUS = StatusValues(paid=frozenset({"成功"}), failed=frozenset({"失败"}), returned=frozenset({"退汇"}))
_TEXT = {"paid": "成功", "failed": "失败", "returned": "退汇"}

FAKE_CSV = StatementLayout(
    format="csv",
    encoding="gbk",
    header_row=3,
    comment_prefix="#",
    columns=_COLUMNS,
    status=_STATUS,
    closing_balance_label="期末余额",
)
FAKE_XLSX = StatementLayout(
    format="xlsx", header_row=1, columns=_COLUMNS, status=_STATUS, closing_balance_label="期末余额"
)
HEADER = ["渠道流水号", "商户订单号", "状态", "金额(元)", "完成时间", "备注"]


def yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def rows(data: StatementData, layout: StatementLayout) -> list[list[str]]:
    """The table: header, one row per line, and the closing-balance line."""
    table = [HEADER]
    for line in data.lines:
        at = from_micros(line.at).astimezone(CHINA).strftime(layout.time_format)
        table.append([line.channel_ref, line.order_no, _TEXT[line.status], yuan(line.amount), at, ""])
    assert layout.closing_balance_label is not None
    table.append([layout.closing_balance_label, yuan(data.closing_balance)])
    return table


def write_statement(data: StatementData, layout: StatementLayout, path: Path, *, account: str, day: date) -> Path:
    """Write the statement to `path` in `layout` (its format, encoding and header row)."""
    table = rows(data, layout)
    notes = [[f"# 账户：{account}"], [f"# 账单日期：{day.isoformat()}"]]
    if layout.format == "xlsx":
        with xlsxwriter.Workbook(str(path)) as book:
            sheet = book.add_worksheet("对账单")
            for r, row in enumerate(table):
                sheet.write_row(r + layout.header_row - 1, 0, row)
        return path
    out = io.StringIO()
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator="\r\n")
    writer.writerows(notes[: layout.header_row - 1])
    writer.writerows(table)
    path.write_bytes(out.getvalue().encode(layout.encoding))
    return path


def statement_file(fake: FakeChannel, account: str, layout: StatementLayout, day: date, path: Path) -> Path:
    """The fake's statement of `account` for business `day` (the layout's window), written to `path`."""
    start, end = layout.day_window(day)
    return write_statement(fake.statement(account, start, end), layout, path, account=account, day=day)
