"""`payout-core report eod --date D`: the end-of-day report (日切) from the ledger's balance-after.

Every account's opening balance (the day before's cut), the day's movement and its closing balance at the cut of
business day D (midnight, Beijing time), with totals. Exit 1 when the report does not balance: an account whose
opening + movement is not its closing, or totals that are not zero (money from nowhere).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from payout_core.cli.app import app
from payout_core.cli.console import EXIT_REFUSED, AsJson, StoreUrl, emit_json, emit_table, opened, refusals, yuan
from payout_core.errors import InvalidInput

report = typer.Typer(help="Reports from the ledger: the end of a business day (日切).")
app.add_typer(report, name="report")


@report.command("eod")
def eod(
    *,
    day: Annotated[str, typer.Option("--date", help="The business day YYYY-MM-DD (Beijing time).")],
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Every account's balance at the business day's cut, and the totals that must balance."""
    from payout_core.ledger import day_end

    with refusals():
        try:
            business_day = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("date", day, "must be a business day YYYY-MM-DD (Beijing time)") from None
        with opened(store) as s, s.transaction(write=False) as tx:
            done = day_end(tx, business_day)
    if as_json:
        emit_json({"report": done, "balanced": done.balanced})
    else:
        rows = [
            (
                a.account,
                a.owner_kind,
                yuan(a.opening),
                yuan(a.movement),
                yuan(a.closing),
                "" if a.consistent else "BROKEN",
            )
            for a in done.accounts
        ]
        totals = ("total", "", yuan(done.opening_total), yuan(done.movement_total), yuan(done.closing_total), "")
        title = f"end of day {done.day.isoformat()} (cut {done.cut.isoformat()})"
        emit_table(title, ("account", "kind", "opening", "movement", "closing", ""), [*rows, totals])
        typer.echo("balanced" if done.balanced else f"NOT BALANCED: {', '.join(done.broken) or 'totals are not zero'}")
    if not done.balanced:
        raise typer.Exit(EXIT_REFUSED)
