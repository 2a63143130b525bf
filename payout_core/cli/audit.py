"""`payout-core audit list`: the append-only audit log, filtered."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

import typer

from payout_core.audit import AuditEntry, entries
from payout_core.cli.app import app
from payout_core.cli.console import AsJson, StoreUrl, emit_json, emit_table, opened, refusals, shown_time
from payout_core.errors import InvalidInput

audit = typer.Typer(help="The audit log: who changed what, when, before → after.")
app.add_typer(audit, name="audit")


def _day_start(text: str | None, field: str) -> datetime | None:
    """A business day (Beijing time) as the instant it starts."""
    from payout_core.limits import CHINA

    if text is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), CHINA)
    except ValueError:
        raise InvalidInput(field, text, "must be a date YYYY-MM-DD (Beijing time)") from None


def _change(entry: AuditEntry) -> str:
    keys = sorted({*(entry.before or {}), *(entry.after or {})})
    before, after = entry.before or {}, entry.after or {}
    return "; ".join(f"{k}: {before.get(k, '—')} → {after.get(k, '—')}" for k in keys if before.get(k) != after.get(k))


@audit.command("list")
def list_entries(
    *,
    store: StoreUrl,
    subject: Annotated[str | None, typer.Option("--subject", help="e.g. merchant:m1, order:42, actor:alice.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Only this actor's rows.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="An action or its kind: merchant.deposit, order.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this business day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this business day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest this many rows.")] = 100,
    as_json: AsJson = False,
) -> None:
    """The audit log's rows matching every filter given, oldest first."""
    with refusals():
        start, end = _day_start(since, "since"), _day_start(until, "until")
        with opened(store) as s, s.transaction(write=False) as tx:
            found = entries(tx, subject=subject, actor=by, action=action, since=start, until=end, limit=limit)
    if as_json:
        emit_json(found)
        return
    rows = [(e.id, shown_time(e.at), e.actor, e.action, e.subject, _change(e), e.reason) for e in found]
    emit_table("audit log", ("id", "at (Beijing)", "actor", "action", "subject", "before → after", "reason"), rows)
