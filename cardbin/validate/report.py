"""Problems found in a load's input files, and the report that refuses or accepts it.

Every value and message of a problem is masked by `cardbin.redact.redact` where the problem is made (`problem`),
whatever the column: a card, ID or mobile number in any spelling never reaches a report, a terminal, JSON or
the store. 联行号 columns keep a valid 联行号 whole, since data staff need it to find the row.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Literal

import msgspec

from cardbin.redact import redact

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

Severity = Literal["fatal", "warning"]

CNAPS_COLUMNS = frozenset({"cnaps_code", "clearing_code"})


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One broken rule at one place: enough for data staff to find and fix the row."""

    file: str
    row: int | None
    column: str
    value: str | None
    rule: str
    severity: Severity
    message: str


def shown(column: str, value: str | None) -> str | None:
    """`value` as a report may show it: personal numbers masked, a valid 联行号 kept in a 联行号 column."""
    return None if value is None else redact(value, keep_cnaps=column in CNAPS_COLUMNS)


def problem(
    *, file: str, row: int | None, column: str, value: str | None, rule: str, severity: Severity, message: str
) -> Problem:
    """A Problem with its value masked; `{value}` in `message` is replaced by the masked value, then the whole
    message is masked too (it may quote other cells)."""
    value = shown(column, value)
    text = message.format(value=value) if "{value" in message else message
    return Problem(
        file=file,
        row=row,
        column=column,
        value=value,
        rule=rule,
        severity=severity,
        message=redact(text, keep_cnaps=column in CNAPS_COLUMNS),
    )


class Report(msgspec.Struct, frozen=True, kw_only=True):
    problems: list[Problem]

    @property
    def fatal(self) -> int:
        return sum(1 for p in self.problems if p.severity == "fatal")

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.fatal

    @property
    def accepted(self) -> bool:
        return self.fatal == 0

    def by_rule(self) -> list[tuple[str, Severity, int]]:
        counts = Counter((p.rule, p.severity) for p in self.problems)
        return sorted(((r, s, n) for (r, s), n in counts.items()), key=lambda t: (t[1] != "fatal", t[0]))

    def summary(self) -> ReportSummary:
        """The report as JSON shows it: counts first, then every problem."""
        return ReportSummary(accepted=self.accepted, fatal=self.fatal, warnings=self.warnings, problems=self.problems)


class ReportSummary(msgspec.Struct, frozen=True, kw_only=True):
    accepted: bool
    fatal: int
    warnings: int
    problems: list[Problem]


def print_report(report: Report, console: Console, limit: int = 50) -> None:
    """Fatal problems first, capped at `limit` rows (the JSON report has them all), then counts per rule."""
    from rich.table import Table

    if not report.problems:
        console.print("[green]No problems found.[/green]")
        return
    table = Table(title=f"Problems: {report.fatal} fatal, {report.warnings} warnings")
    for column in ("severity", "file", "row", "column", "value", "rule", "message"):
        table.add_column(column, overflow="fold")
    ordered = sorted(report.problems, key=lambda p: (p.severity != "fatal", p.file, p.row or 0))
    for p in ordered[:limit]:
        style = "red" if p.severity == "fatal" else "yellow"
        cells = (p.severity, p.file, str(p.row or ""), p.column, p.value or "", p.rule, p.message)
        table.add_row(*(_plain(c) for c in cells), style=style)
    console.print(table)
    if len(ordered) > limit:
        console.print(f"… {len(ordered) - limit} more problems (use --json for all)")
    summary = Table(title="Problems per rule")
    for column in ("rule", "severity", "count"):
        summary.add_column(column)
    for rule, severity, count in report.by_rule():
        summary.add_row(rule, severity, str(count))
    console.print(summary)


def _plain(text: str) -> Text:
    """Cell text shown as it is: a value like `[red]` in a file is data, not rich markup."""
    from rich.text import Text

    return Text(text)
