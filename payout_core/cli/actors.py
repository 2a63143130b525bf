"""`payout-core actors …`: who may act (bootstrap the first admin, add actors, grant and revoke roles)."""

from __future__ import annotations

from typing import Annotated

import typer

from payout_core.audit import ROLES, Actor, Actors
from payout_core.cli.app import app
from payout_core.cli.console import ActorId, AsJson, StoreUrl, emit_json, emit_table, opened, refusals

actors = typer.Typer(help="Actors and their roles (submitter, approver, operator, admin); every change audited.")
app.add_typer(actors, name="actors")

RoleName = Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")]


def _show(actor: Actor, as_json: bool) -> None:
    if as_json:
        emit_json(actor)
    else:
        _table([actor])


def _table(found: list[Actor]) -> None:
    rows = [(a.id, a.name, "yes" if a.active else "no", ", ".join(a.roles)) for a in found]
    emit_table("actors", ("id", "name", "active", "roles"), rows)


@actors.command("bootstrap")
def bootstrap(
    actor_id: Annotated[str, typer.Argument(help="The first admin's id.")],
    name: Annotated[str, typer.Option("--name", help="Their name.")],
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Create the first admin of a store (once; every later actor is added by an admin)."""
    with refusals(), opened(store) as s:
        _show(Actors(s).bootstrap(actor_id, name), as_json)


@actors.command("add")
def add(
    actor_id: Annotated[str, typer.Argument(help="The new actor's id.")],
    *,
    name: Annotated[str, typer.Option("--name", help="Their name.")],
    store: StoreUrl,
    actor: ActorId,
    role: Annotated[list[str], typer.Option("--role", help="A role to grant (repeat for more).")] = [],  # noqa: B006
    as_json: AsJson = False,
) -> None:
    """Add an actor with its roles (needs the admin role)."""
    with refusals(), opened(store) as s:
        _show(Actors(s).add(actor_id, name, role, by=actor), as_json)


@actors.command("grant")
def grant(
    actor_id: Annotated[str, typer.Argument(help="The actor to grant to.")],
    role: RoleName,
    store: StoreUrl,
    actor: ActorId,
    as_json: AsJson = False,
) -> None:
    """Grant a role (needs the admin role)."""
    with refusals(), opened(store) as s:
        _show(Actors(s).grant(actor_id, role, by=actor), as_json)  # type: ignore[arg-type]  # checked by grant


@actors.command("revoke")
def revoke(
    actor_id: Annotated[str, typer.Argument(help="The actor to revoke from.")],
    role: RoleName,
    store: StoreUrl,
    actor: ActorId,
    as_json: AsJson = False,
) -> None:
    """Revoke a role (needs the admin role)."""
    with refusals(), opened(store) as s:
        _show(Actors(s).revoke(actor_id, role, by=actor), as_json)  # type: ignore[arg-type]  # checked by revoke


@actors.command("deactivate")
def deactivate(
    actor_id: Annotated[str, typer.Argument(help="The actor who may no longer act.")],
    store: StoreUrl,
    actor: ActorId,
    as_json: AsJson = False,
) -> None:
    """Deactivate an actor: its history stays, it may do nothing more (needs the admin role)."""
    with refusals(), opened(store) as s:
        _show(Actors(s).set_active(actor_id, False, by=actor), as_json)


@actors.command("list")
def list_actors(store: StoreUrl, as_json: AsJson = False) -> None:
    """Every actor with its roles."""
    with refusals(), opened(store) as s:
        found = Actors(s).all()
    if as_json:
        emit_json(found)
    else:
        _table(found)
