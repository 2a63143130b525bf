"""`payout-core keys …`: the keys that seal personal data at rest (payout_core.keys).

    payout-core keys new --id 2026-12            # a data key entry for PAYOUT_CORE_DATA_KEYS (id:base64)
    payout-core keys new --card-secret           # a secret for PAYOUT_CORE_CARD_KEY_SECRET
    payout-core keys rewrap --store URL [--json] # every stored recipient sealed again under the first listed key

Keys are printed, never stored: put them in the environment or the key file yourself.
"""

from __future__ import annotations

from typing import Annotated

import typer

from payout_core.cli.app import app
from payout_core.cli.console import AsJson, StoreUrl, emit_json, opened, refusals
from payout_core.errors import InvalidInput

keys = typer.Typer(help="Keys of personal data at rest: make one, seal every recipient under the newest.")
app.add_typer(keys, name="keys")


@keys.command("new")
def new(
    *,
    key_id: Annotated[str | None, typer.Option("--id", help="The new data key's id (e.g. the month: 2026-12).")] = None,
    card_secret: Annotated[
        bool, typer.Option("--card-secret", help="A card-key secret instead of a data key.")
    ] = False,
) -> None:
    """Print a fresh data key (`id:base64`, list it FIRST in PAYOUT_CORE_DATA_KEYS, then run `keys rewrap`) or a
    fresh card-key secret."""
    from payout_core.keys import Keyring

    with refusals():
        if (key_id is None) == (not card_secret):
            raise InvalidInput("--id", key_id or "", "give either --id ID (a data key) or --card-secret")
        typer.echo(Keyring.new_card_secret() if key_id is None else Keyring.new_data_key(key_id))


@keys.command("rewrap")
def rewrap(
    *,
    store: StoreUrl,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Orders sealed again per transaction.")] = 500,
    as_json: AsJson = False,
) -> None:
    """Seal every order's recipient under the first key of PAYOUT_CORE_DATA_KEYS; afterwards the older keys may
    be removed. Safe to run while payouts run, and again."""
    from payout_core.orders import PayoutEngine

    with refusals(), opened(store) as s:
        engine = PayoutEngine(s)
        done = engine.rewrap(batch=batch)
    if as_json:
        emit_json({"resealed": done, "key": engine.keys.current})
    else:
        typer.echo(f"{done} recipients sealed again under key {engine.keys.current}")
