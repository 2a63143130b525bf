"""Configuration and money in: merchants, channel routes, deposits and channel funding.

Each change is made by an actor holding the role it needs (configuration: `admin`; money: `operator`), in one
transaction whose write chain holds the role check, the change and its audit row (audit/): all of it commits or
none of it. A deposit or a funding carries the caller's idempotency key, which names its posting in the ledger:
a replay moves nothing and writes nothing, a different transfer under a used key is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from payout_core.audit import Role, check_actor_id, record, require_role, role_explained
from payout_core.errors import InvalidInput
from payout_core.ledger import PostingKind, Transfer, TransferConflict, post, posting, refusal
from payout_core.store import BrokenLink, ConstraintViolation, Store, Tx, to_micros

T = TypeVar("T", bound=msgspec.Struct)

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidInput("key", str(key), "an idempotency key is 1-64 letters, digits or ._:/- (e.g. the bank slip)")
    return key


def shown(config: msgspec.Struct | None) -> dict[str, Any] | None:
    """A configuration as the audit log keeps it."""
    return None if config is None else msgspec.to_builtins(config)


def configure(
    store: Store,
    tx: Tx | None,
    *,
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    current: Callable[[Tx], T | None],
    build: Callable[[T | None], T],
    save: Callable[[Tx, T], None],
) -> T:
    """Read the configuration (`current`, locked), build the new one from it, save it and audit before → after.
    An unchanged configuration is neither saved nor audited."""
    check_actor_id(actor)

    def chain(t: Tx) -> T:
        require_role(t, actor, "admin")
        before = current(t)
        after = build(before)
        if after == before:
            return after
        save(t, after)
        record(t, actor=actor, action=action, subject=subject, before=shown(before), after=shown(after), at=now)
        return after

    return run_as(store, tx, actor, "admin", chain)


R = TypeVar("R")


def run_as(store: Store, tx: Tx | None, actor: str, role: Role, chain: Callable[[Tx], R]) -> R:
    """`chain` in the caller's transaction, or in its own with a refusal of the role explained (NotPermitted)."""
    if tx is not None:
        return chain(tx)
    with role_explained(store, actor, role), store.transaction() as own:
        return chain(own)


def money_in(
    store: Store,
    tx: Tx | None,
    transfer: Transfer,
    kind: PostingKind,
    *,
    key: str,
    actor: str,
    action: str,
    subject: str,
    reason: str,
    now: datetime,
) -> str:
    """Post `transfer` under the idempotency key, by an operator, audited; returns the transfer id. In the
    caller's transaction a refusal fails it at its commit; in its own, it is explained (a replay is answered)."""
    check_actor_id(actor)
    transfer_id = f"{kind}:{transfer.dest}:{check_key(key)}"
    after = {"account": transfer.dest, "amount": transfer.amount, "key": key}

    def chain(t: Tx) -> str:
        require_role(t, actor, "operator")
        post(t, (transfer,), kind=kind, at=to_micros(now), transfer_id=transfer_id)
        record(t, actor=actor, action=action, subject=subject, before=None, after=after, at=now, reason=reason)
        return transfer_id

    try:
        return run_as(store, tx, actor, "operator", chain)
    except (BrokenLink, ConstraintViolation) as exc:
        if tx is not None:
            raise
        with store.transaction(write=False) as t:
            posted = posting(t, transfer_id)
            why = None if posted else refusal(t, (transfer,))
        if posted:
            legs = [(e.account, e.amount) for e in posted]
            if legs == [(transfer.source, -transfer.amount), (transfer.dest, transfer.amount)]:
                return transfer_id  # a replay: the money moved once, with its audit row
            raise TransferConflict(transfer_id, f"{posted[-1].amount} fen to {posted[-1].account}") from exc
        if why is None:
            raise
        raise why from exc
