"""The `payout-core` Typer app that every command module of this package adds its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="payout-core",
    help="Safe payouts (代付): recipient validation, the worker, and the operators' console.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold account numbers
)


@app.callback()
def main() -> None:
    """Safe payouts (代付): recipient validation, the worker, and the operators' console."""
