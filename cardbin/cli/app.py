"""The root `cardbin` click group shared by the command modules, and the JSON envelope's usage errors.

Every command module imports click and nothing heavy at import time; a command imports polars, DuckDB or rich
when it runs, so `cardbin --help` and usage errors start in tens of milliseconds.
"""

from __future__ import annotations

from typing import Any

import click

from cardbin.cli.output import EXIT_USAGE, Envelope, emit


def _usage_envelope(command: str, exc: click.UsageError) -> click.exceptions.Exit:
    """With --json on the command line, a usage error is answered with the envelope too (and still exit 2)."""
    emit(Envelope(command=command, outcome="usage", exit_code=EXIT_USAGE, error=exc.format_message()))
    return click.exceptions.Exit(EXIT_USAGE)


class EnvelopeCommand(click.Command):
    """A command whose usage errors, given --json, print the JSON envelope instead of click's text."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        wants_json = "--json" in args
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            if not wants_json:
                raise
            name = " ".join(filter(None, (parent.command_path if parent else None, info_name))).removeprefix("cardbin ")
            raise _usage_envelope(name, exc) from exc


class EnvelopeGroup(click.Group):
    """A group whose unknown-command errors, given --json, print the JSON envelope."""

    command_class = EnvelopeCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            if "--json" not in args:
                raise
            raise _usage_envelope(ctx.command_path.removeprefix("cardbin "), exc) from exc


@click.group(
    name="cardbin",
    cls=EnvelopeGroup,
    no_args_is_help=True,
    context_settings={"help_option_names": ["--help", "-h"], "max_content_width": 120},
)
def app() -> None:
    """Bank-card BIN and CNAPS (联行号) lookups from versioned monthly releases.

    Exit codes: 0 done, 1 refused (the data or the store says no: a refused load, an unknown card, a missing
    release), 2 usage (a wrong option, argument or value).
    """
