"""How every `cardbin` command ends: exit codes, the one JSON envelope, and masked error messages.

Exit codes: 0 done, 1 refused (data refused, not found, the store cannot do it), 2 usage (what was typed is
wrong: click's own usage errors and InvalidInput from an argument). With `--json`, `cardbin release …` prints
one envelope for every outcome:

    {"command": "release load", "outcome": "done" | "refused" | "usage", "exit_code": 0 | 1 | 2,
     "error": null | "message", "result": {...} | null, "report": {...} | null}

Every message that leaves here passes through `cardbin.redact.redact`.
"""

from __future__ import annotations

from typing import Any, Literal, NoReturn

import click
import msgspec

from cardbin.errors import CardbinError, InvalidInput, LoadRefused, NotFound
from cardbin.redact import redact

EXIT_DONE = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

Outcome = Literal["done", "refused", "usage"]


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    command: str
    outcome: Outcome
    exit_code: int
    error: str | None = None
    result: Any = None  # the command's answer: the loaded release and its diff, the release list …
    report: Any = None  # the validation report (ReportSummary) of a load, accepted or refused


def emit(envelope: Envelope) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(envelope), indent=2).decode())


def done(command: str, result: Any, *, report: Any = None) -> None:
    emit(Envelope(command=command, outcome="done", exit_code=EXIT_DONE, result=result, report=report))


def exit_code(exc: CardbinError) -> int:
    return EXIT_USAGE if isinstance(exc, InvalidInput) else EXIT_REFUSED


def fail(exc: CardbinError, command: str, *, as_json: bool) -> NoReturn:
    """End the command on a typed error: the envelope with --json, else the message (and report) on stderr."""
    code = exit_code(exc)
    message = redact(str(exc))
    report = None
    if isinstance(exc, LoadRefused):
        from cardbin.validate import Report  # a refused load has loaded polars already

        assert isinstance(exc.report, Report)
        report = exc.report
        message += "; the store is unchanged"
    if as_json:
        outcome: Outcome = "usage" if code == EXIT_USAGE else "refused"
        summary = report.summary() if report is not None else None
        emit(Envelope(command=command, outcome=outcome, exit_code=code, error=message, report=summary))
    else:
        if report is not None:
            from rich.console import Console

            from cardbin.validate import print_report

            print_report(report, Console())
        label = "not found" if isinstance(exc, NotFound) else "refused" if report is not None else "error"
        click.echo(f"{label}: {message}", err=True)
    raise click.exceptions.Exit(code)
