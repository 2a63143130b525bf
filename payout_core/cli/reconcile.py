"""`payout-core reconcile`: a day's statement against our books; `payout-core differences`: the items it opened.

    payout-core reconcile --channel NAME --date D FILE [--json]
    payout-core differences list [--channel NAME] [--state open|resolved] [--json]
    payout-core differences resolve ITEM --decision book|dismiss --actor ID --reason TEXT

Exit codes as every operators' command (console.py): 0 done (differences found are items, not errors), 1 refused
(a malformed statement: file, row, rule; another file for a reconciled day; a decision not permitted), 2 usage.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from payout_core.cli.app import app
from payout_core.cli.console import (
    ActorId,
    AsJson,
    Reason,
    StoreUrl,
    emit_json,
    emit_table,
    opened,
    refusals,
    shown_time,
    yuan,
)
from payout_core.errors import InvalidInput

differences = typer.Typer(help="Reconciliation items (差错): list them, resolve them by an audited decision.")
app.add_typer(differences, name="differences")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("date", text, "must be a business day YYYY-MM-DD (Beijing time)") from None


@app.command("reconcile")
def reconcile(
    file: Annotated[Path, typer.Argument(help="The channel's statement (对账单) in its profile's layout.")],
    *,
    channel: Annotated[str, typer.Option("--channel", help="The channel account (route name).")],
    day: Annotated[str, typer.Option("--date", help="The business day YYYY-MM-DD (Beijing time, its cut-off).")],
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Match a business day's statement lines to orders, open an item per difference, print the day's summary."""
    from payout_core.orders import PayoutEngine
    from payout_core.reconcile import Reconciler

    with refusals():
        business_day = _day(day)
        with opened(store) as s:
            summary = Reconciler(PayoutEngine(s)).run(channel, business_day, file)
    if as_json:
        emit_json(summary)
        return
    for line in summary.lines_text():
        typer.echo(line)


@differences.command("list")
def list_items(
    *,
    store: StoreUrl,
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel account's items.")] = None,
    state: Annotated[str, typer.Option("--state", help="open, resolved or all.")] = "open",
    as_json: AsJson = False,
) -> None:
    """Reconciliation items, oldest first."""
    from payout_core.differences import items

    with refusals():
        if state not in ("open", "resolved", "all"):
            raise InvalidInput("state", state, "must be open, resolved or all")
        wanted: Literal["open", "resolved"] | None = None if state == "all" else state  # type: ignore[assignment]
        with opened(store) as s, s.transaction(write=False) as tx:
            found = items(tx, channel=channel, state=wanted)
    if as_json:
        emit_json(found)
        return
    rows = [
        (
            i.id,
            i.channel,
            i.kind,
            i.ref,
            i.order_id or "",
            yuan(i.channel_amount),
            yuan(i.our_amount),
            i.business_day or i.found_by,
            shown_time(i.opened_at),
            i.state if i.decision is None else f"{i.decision} by {i.decided_by}",
        )
        for i in found
    ]
    columns = ("id", "channel", "kind", "ref", "order", "channel says", "we say", "day", "opened", "state")
    emit_table("reconciliation items", columns, rows)


@differences.command("resolve")
def resolve(
    item: Annotated[int, typer.Argument(help="The item's id (differences list).")],
    *,
    decision: Annotated[str, typer.Option("--decision", help="book: follow the channel; dismiss: ours stand.")],
    actor: ActorId,
    reason: Reason,
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Resolve an open item (operator role): book moves money through an adjustment order, dismiss moves none."""
    from payout_core.differences import DifferenceDesk
    from payout_core.orders import PayoutEngine

    with refusals():
        if decision not in ("book", "dismiss"):
            raise InvalidInput("decision", decision, "must be book or dismiss")
        with opened(store) as s:
            done = DifferenceDesk(PayoutEngine(s)).resolve(item, decision, operator=actor, reason=reason)  # type: ignore[arg-type]
    if as_json:
        emit_json(done)
        return
    typer.echo(f"item {item}: {decision} by {actor}; moved {yuan(done.moved)}")
