"""A channel's statement (对账单) layout, declared in its profile: how payout_core.reconcile reads the file.

A statement lists, for one business day of one channel account, every payout the channel finished (paid, failed)
and every return (退汇), with the account's closing balance. Days follow Beijing time and end at the channel's
cut-off: with `cutoff = "23:00"` a payout finished at 23:30 belongs to the next day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

import msgspec

from payout_core.days import CHINA
from payout_core.errors import InvalidInput

StatementFormat = Literal["csv", "xlsx"]
StatementEncoding = Literal["utf-8", "gbk", "gb18030"]
AmountUnit = Literal["yuan", "fen"]  # yuan: a decimal with at most two places ("1,234.50" refused: no separators)
LineStatus = Literal["paid", "failed", "returned"]
Header = Annotated[str, msgspec.Meta(min_length=1)]

_CUTOFF = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


class StatementColumns(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The header text of each column the reader uses; other columns are ignored."""

    order_no: Header  # our channel order number, as we sent it
    amount: Header
    status: Header
    finished_at: Header  # when the channel finished the payout or the return
    channel_ref: Header | None = None  # the channel's own reference (流水号)


class StatusValues(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The texts of the status column for each meaning; any other text is a malformed line."""

    paid: Annotated[frozenset[str], msgspec.Meta(min_length=1)]
    failed: frozenset[str] = frozenset()
    returned: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for meaning in ("paid", "failed", "returned"):
            for text in getattr(self, meaning):
                if text in seen:
                    raise InvalidInput("status", text, f"is listed under both {seen[text]} and {meaning}")
                seen[text] = meaning

    def meaning(self, text: str) -> LineStatus | None:
        for meaning in ("paid", "failed", "returned"):
            if text in getattr(self, meaning):
                return meaning
        return None


class StatementLayout(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything needed to read a channel's statement file; see the module docstring for the day."""

    format: StatementFormat
    encoding: StatementEncoding = "utf-8"  # csv only; an xlsx workbook carries its own
    delimiter: Annotated[str, msgspec.Meta(min_length=1, max_length=1)] = ","
    header_row: Annotated[int, msgspec.Meta(ge=1)] = 1  # the line (sheet row) holding the column headers
    comment_prefix: str | None = None  # lines starting with it are notes, not payouts (Alipay's "#" lines)
    columns: StatementColumns
    status: StatusValues
    time_format: str = "%Y-%m-%d %H:%M:%S"  # strptime, Beijing time
    amount_unit: AmountUnit = "yuan"
    cutoff: str = "24:00"  # Beijing time at which the channel closes a business day
    # The line stating the account's balance at the cut-off: its first cell is this label, the amount follows.
    closing_balance_label: str | None = None

    def __post_init__(self) -> None:
        if not _CUTOFF.match(self.cutoff):
            raise InvalidInput("cutoff", self.cutoff, "must be HH:MM between 00:00 and 24:00")
        if self.format == "xlsx" and self.encoding != "utf-8":
            raise InvalidInput("encoding", self.encoding, "applies to csv only; a workbook carries its own")

    def day_window(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) of business day `day` in Beijing time: it ends at `cutoff` on `day` (24:00: midnight after
        it) and lasts 24 hours."""
        hours, minutes = (int(p) for p in self.cutoff.split(":"))
        end = datetime(day.year, day.month, day.day, tzinfo=CHINA) + timedelta(hours=hours, minutes=minutes)
        return end - timedelta(days=1), end
