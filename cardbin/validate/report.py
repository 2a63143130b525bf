"""Problems found in a load's input files, and the report that refuses or accepts it."""

from __future__ import annotations

from collections import Counter
from typing import Literal

import msgspec
from rich.console import Console
from rich.table import Table

Severity = Literal["fatal", "warning"]


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One broken rule at one place: enough for data staff to find and fix the row."""

    file: str
    row: int | None
    column: str
    value: str | None
    rule: str
    severity: Severity
    message: str


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

    def to_json(self) -> bytes:
        return msgspec.json.encode(
            {"accepted": self.accepted, "fatal": self.fatal, "warnings": self.warnings, "problems": self.problems}
        )


def print_report(report: Report, console: Console, limit: int = 50) -> None:
    """Fatal problems first, capped at `limit` rows (the JSON report has them all), then counts per rule."""
    if not report.problems:
        console.print("[green]No problems found.[/green]")
        return
    table = Table(title=f"Problems: {report.fatal} fatal, {report.warnings} warnings")
    for column in ("severity", "file", "row", "column", "value", "rule", "message"):
        table.add_column(column, overflow="fold")
    ordered = sorted(report.problems, key=lambda p: (p.severity != "fatal", p.file, p.row or 0))
    for p in ordered[:limit]:
        style = "red" if p.severity == "fatal" else "yellow"
        table.add_row(p.severity, p.file, str(p.row or ""), p.column, p.value or "", p.rule, p.message, style=style)
    console.print(table)
    if len(ordered) > limit:
        console.print(f"… {len(ordered) - limit} more problems (use --json for all)")
    summary = Table(title="Problems per rule")
    for column in ("rule", "severity", "count"):
        summary.add_column(column)
    for rule, severity, count in report.by_rule():
        summary.add_row(rule, severity, str(count))
    console.print(summary)
