"""The root Typer application shared by the command modules."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cardbin",
    help="Bank-card BIN and CNAPS (联行号) lookups from versioned monthly releases.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold card numbers
)
