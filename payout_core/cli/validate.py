"""`payout-core validate`: check a JSONL file of recipients against a channel from the shell.

Exit code 0 when every recipient is dispatch-ready, 1 when any line has a violation, 2 when the channel or the
file cannot be used, so a batch job can stop before anything is sent. Each card is looked up in cardbin's active
release (CARDBIN_DB, else the bundled one) and its bank checked against the one the line names, unless
`--no-bin-check`: a file labelled with the wrong bank must not pass as ok.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from cardbin.redact import redact
from payout_core.channels import UnknownChannel, channel
from payout_core.cli.app import app
from payout_core.recipient import Recipient
from payout_core.validation import CardResolver, PrepareError, Violation, prepare, validate
from payout_core.validation.card import default_resolver

_PATH = re.compile(r" - at `\$\.?(?P<field>[^`]*)`$")


class LineReport(msgspec.Struct, kw_only=True):
    line: int
    ok: bool
    violations: list[Violation]
    derived: list[str] = []


def _decode_violation(exc: msgspec.MsgspecError) -> Violation:
    text = redact(str(exc))  # a decoding error may quote a value, a card number included
    m = _PATH.search(text)
    field = m["field"] if m and m["field"] else "(line)"
    return Violation(field=field, code="format", message=_PATH.sub("", text))


def _check_line(
    raw: bytes, number: int, profile_name: str, resolver: CardResolver | None, *, with_prepare: bool
) -> LineReport:
    try:
        recipient = msgspec.json.decode(raw, type=Recipient)
    except msgspec.MsgspecError as exc:
        return LineReport(line=number, ok=False, violations=[_decode_violation(exc)])
    profile = channel(profile_name)
    if resolver is None or not with_prepare:
        violations = validate(recipient, profile, resolver, bin_check=resolver is not None)
        return LineReport(line=number, ok=not violations, violations=violations)
    try:
        prepared = prepare(recipient, profile, resolver)
    except PrepareError as exc:
        return LineReport(line=number, ok=False, violations=exc.violations)
    return LineReport(line=number, ok=True, violations=[], derived=prepared.derived)


def _print_human(report: LineReport) -> None:
    if report.ok:
        derived = f" (filled: {', '.join(report.derived)})" if report.derived else ""
        typer.echo(f"line {report.line}: ok{derived}")
        return
    for v in report.violations:
        hint = f" → {v.suggestion}" if v.suggestion is not None else ""
        typer.echo(f"line {report.line}: {v.field} [{v.code}] {v.message}{hint}")


@app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="JSON Lines, one recipient per line (blank lines are skipped).")],
    channel_name: Annotated[str, typer.Option("--channel", help="Channel profile, e.g. wechat_bank.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report per input line.")] = False,
    with_prepare: Annotated[
        bool, typer.Option("--prepare", help="Fill bank fields from cardbin's active release first (as dispatch).")
    ] = False,
    bin_check: Annotated[
        bool,
        typer.Option(
            "--bin-check/--no-bin-check", help="Check each card's bank, type and length against its BIN (default)."
        ),
    ] = True,
) -> None:
    """Print every violation of every recipient of FILE for the channel."""
    try:
        channel(channel_name)
        lines = file.read_bytes().splitlines()
    except (UnknownChannel, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    resolver = default_resolver() if bin_check or with_prepare else None
    encoder = msgspec.json.Encoder()
    failed = total = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        report = _check_line(raw, number, channel_name, resolver, with_prepare=with_prepare)
        total += 1
        failed += not report.ok
        if as_json:
            typer.echo(encoder.encode(report).decode())
        else:
            _print_human(report)
    typer.echo(f"{total} recipient(s), {failed} with violations ({channel_name})", err=True)
    if failed:
        raise typer.Exit(1)
