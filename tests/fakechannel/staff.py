"""The people of a test bench: an admin, approvers and operators (audit.Actors), hired once per store.

Tests and the simulation act as these actors, so every role rule and audit row runs as it does in production.
"""

from __future__ import annotations

import contextlib
import uuid

from payout_core.audit import ActorExists, Actors, AlreadyBootstrapped, Role
from payout_core.store import Clock, Store, utcnow

ADMIN = "root"
OPERATOR = "ops"
# Everyone but the admin: two approvers (maker-checker needs someone else), two operators, a submitter.
STAFF: dict[str, tuple[Role, ...]] = {
    "alice": ("approver",),
    "bob": ("approver",),
    OPERATOR: ("operator",),
    "ops2": ("operator",),
    "sam": ("submitter",),
}


def hire_staff(store: Store, clock: Clock = utcnow) -> None:
    """Idempotent: a store that has them keeps them."""
    actors = Actors(store, clock=clock)
    with contextlib.suppress(AlreadyBootstrapped):
        actors.bootstrap(ADMIN, "Bench Admin")
    for actor, roles in STAFF.items():
        with contextlib.suppress(ActorExists):
            actors.add(actor, actor.title(), roles, by=ADMIN)


def new_key() -> str:
    """An idempotency key for a deposit or a funding that is never replayed."""
    return uuid.uuid4().hex
