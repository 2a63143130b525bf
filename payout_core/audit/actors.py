"""Actors and their roles (tables `actors`, `actor_roles`, `actor_bootstrap`): who may do what.

Roles separate duties: a `submitter` enters payouts, an `approver` approves or rejects someone else's, an
`operator` moves money by hand (review decisions, 退汇 entries, cancellations, deposits, channel funding) and an
`admin` changes configuration (merchants, channel routes, actors). No role implies another: an admin who must
approve is granted `approver` too, and that grant is in the audit log.

A change that needs a role sends `require_role` as a link of its write chain: the database refuses the whole
chain when the actor is unknown, deactivated or lacks the role, and `role_refusal` then says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal, get_args

import msgspec

from payout_core.audit.errors import ActorExists, AlreadyBootstrapped, NotPermitted, UnknownActor
from payout_core.audit.log import record
from payout_core.errors import InvalidInput
from payout_core.store import BrokenLink, Clock, ConstraintViolation, Row, Store, Tx, to_micros, utcnow

Role = Literal["submitter", "approver", "operator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)

# The approver of an order approved by its merchant's configuration (never an actor's id: CHECK actors_id).
AUTO = "auto"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    active: bool
    roles: tuple[Role, ...]


def check_actor_id(actor: str, field: str = "actor") -> str:
    if not isinstance(actor, str) or not _ID.match(actor) or actor == AUTO:
        raise InvalidInput(field, str(actor), "must be 1-64 letters, digits or ._@- (not 'auto'), naming an actor")
    return actor


def check_roles(roles: Iterable[str]) -> tuple[Role, ...]:
    out: list[Role] = []
    for role in roles:
        if role not in ROLES:
            raise InvalidInput("role", str(role), f"must be one of {', '.join(ROLES)}")
        if role not in out:
            out.append(role)
    return tuple(sorted(out, key=ROLES.index))


def role_link(role: Role) -> str:
    return f"the actor holds the {role} role"


def require_role(tx: Tx, actor: str, role: Role) -> None:
    """A link of `tx`'s write chain: `actor` exists, is active and holds `role`; else the chain fails whole."""
    tx.send(
        "SELECT a.id FROM actors a JOIN actor_roles r ON r.actor_id = a.id WHERE a.id = ? AND a.active = 1"
        " AND r.role = ?",
        (actor, role),
        rows=1,
        link=role_link(role),
    )


@contextmanager
def role_explained(store: Store, actor: str, role: Role) -> Iterator[None]:
    """Around a transaction with `require_role(tx, actor, role)`: its refusal is raised as NotPermitted saying why
    (unknown, deactivated, role missing); any other refusal passes unchanged."""
    try:
        yield
    except BrokenLink as exc:
        if exc.link != role_link(role):
            raise
        with store.transaction(write=False) as tx:
            why = role_refusal(tx, actor, role)
        if why is None:
            raise
        raise why from exc


def role_refusal(tx: Tx, actor: str, role: Role) -> NotPermitted | None:
    """Why `actor` may not act as `role` now, or None when it may."""
    found = read_actor(tx, actor)
    if found is None:
        return NotPermitted(actor, role, "no such actor")
    if not found.active:
        return NotPermitted(actor, role, "the actor is deactivated")
    if role not in found.roles:
        held = ", ".join(found.roles) or "no role"
        return NotPermitted(actor, role, f"the actor holds {held}")
    return None


def read_actor(tx: Tx, actor: str, *, lock: bool = False) -> Actor | None:
    rows = tx.all(f"SELECT id, name, active FROM actors WHERE id = ?{tx.for_update if lock else ''}", (actor,))
    if not rows:
        return None
    roles = tx.all("SELECT role FROM actor_roles WHERE actor_id = ?", (actor,))
    return _actor(rows[0], [r[0] for r in roles])


def _actor(row: Row, roles: Iterable[str]) -> Actor:
    actor_id, name, active = row
    return Actor(id=actor_id, name=name, active=bool(active), roles=check_roles(roles))


def all_actors(tx: Tx) -> list[Actor]:
    roles: dict[str, list[str]] = {}
    for actor_id, role in tx.all("SELECT actor_id, role FROM actor_roles"):
        roles.setdefault(actor_id, []).append(role)
    return [_actor(r, roles.get(r[0], ())) for r in tx.all("SELECT id, name, active FROM actors ORDER BY id")]


def _shown(actor: Actor | None) -> dict[str, object] | None:
    return None if actor is None else {"name": actor.name, "active": actor.active, "roles": list(actor.roles)}


class Actors:
    """Adding actors and changing their roles: each change by an admin, in one transaction with its audit row."""

    def __init__(self, store: Store, *, clock: Clock = utcnow) -> None:
        self._store = store
        self._clock = clock

    def bootstrap(self, actor: str, name: str) -> Actor:
        """The first admin, once per store (its own audit row names it as the actor)."""
        check_actor_id(actor)
        new = Actor(id=actor, name=_name(name), active=True, roles=("admin",))
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                self._insert(tx, new, now)
                tx.send(
                    "INSERT INTO actor_bootstrap (id, actor_id, at) VALUES (1, ?, ?)",
                    (actor, to_micros(now)),
                    rows=1,
                    link="only the first admin is bootstrapped",
                )
                record(
                    tx,
                    actor=actor,
                    action="actor.bootstrap",
                    subject=f"actor:{actor}",
                    before=None,
                    after=_shown(new),
                    at=now,
                )
        except ConstraintViolation as exc:
            with self._store.transaction(write=False) as tx:
                done = tx.one("SELECT actor_id FROM actor_bootstrap")
                existing = read_actor(tx, actor)
            if done is not None:
                raise AlreadyBootstrapped from exc
            if existing is not None:
                raise ActorExists(actor) from exc
            raise
        return new

    def add(self, actor: str, name: str, roles: Iterable[str], *, by: str) -> Actor:
        check_actor_id(actor)
        new = Actor(id=actor, name=_name(name), active=True, roles=check_roles(roles))
        now = self._clock()

        def chain(tx: Tx) -> Actor:
            self._insert(tx, new, now)
            record(tx, actor=by, action="actor.add", subject=f"actor:{actor}", before=None, after=_shown(new), at=now)
            return new

        try:
            return self._as_admin(by, chain)
        except ConstraintViolation as exc:
            with self._store.transaction(write=False) as tx:
                if read_actor(tx, actor) is not None:
                    raise ActorExists(actor) from exc
            raise

    def grant(self, actor: str, role: Role, *, by: str) -> Actor:
        """Idempotent: granting a role held already changes (and audits) nothing."""
        (role,) = check_roles([role])
        return self._change(actor, by, "actor.grant", lambda a: (a.active, check_roles([*a.roles, role])))

    def revoke(self, actor: str, role: Role, *, by: str) -> Actor:
        (role,) = check_roles([role])
        if actor == by and role == "admin":
            raise InvalidInput("role", role, "an admin does not revoke their own admin role (another admin does)")
        return self._change(actor, by, "actor.revoke", lambda a: (a.active, tuple(r for r in a.roles if r != role)))

    def set_active(self, actor: str, active: bool, *, by: str) -> Actor:
        """Deactivated actors keep their history and roles but may do nothing."""
        if actor == by and not active:
            raise InvalidInput("actor", actor, "an admin does not deactivate themselves (another admin does)")
        action = "actor.activate" if active else "actor.deactivate"
        return self._change(actor, by, action, lambda a: (active, a.roles))

    def get(self, actor: str) -> Actor:
        with self._store.transaction(write=False) as tx:
            found = read_actor(tx, actor)
        if found is None:
            raise UnknownActor(actor)
        return found

    def all(self) -> list[Actor]:
        with self._store.transaction(write=False) as tx:
            return all_actors(tx)

    # --- internals ------------------------------------------------------------------------------------------

    def _insert(self, tx: Tx, new: Actor, now: datetime) -> None:
        at = to_micros(now)
        tx.send(
            "INSERT INTO actors (id, name, active, created_at) VALUES (?, ?, 1, ?)",
            (new.id, new.name, at),
            rows=1,
            link="add the actor",
        )
        if new.roles:
            marks = ", ".join(["(?, ?, ?)"] * len(new.roles))
            tx.send(
                f"INSERT INTO actor_roles (actor_id, role, granted_at) VALUES {marks}",
                [v for role in new.roles for v in (new.id, role, at)],
                rows=len(new.roles),
                link="grant the roles",
            )

    def _change(
        self, actor: str, by: str, action: str, change: Callable[[Actor], tuple[bool, tuple[Role, ...]]]
    ) -> Actor:
        """Read the actor (locked), apply `change` (actor → (active, roles)), write the difference and its row."""
        now = self._clock()

        def chain(tx: Tx) -> Actor:
            before = read_actor(tx, actor, lock=True)
            if before is None:
                raise UnknownActor(actor)
            active, roles = change(before)
            after = msgspec.structs.replace(before, active=active, roles=roles)
            if after == before:
                return before
            at = to_micros(now)
            if active != before.active:
                tx.send(
                    "UPDATE actors SET active = ? WHERE id = ?",
                    (int(active), actor),
                    rows=1,
                    link="set the actor active",
                )
            for role in set(roles) - set(before.roles):
                tx.send(
                    "INSERT INTO actor_roles (actor_id, role, granted_at) VALUES (?, ?, ?)",
                    (actor, role, at),
                    rows=1,
                    link="grant the role",
                )
            for role in set(before.roles) - set(roles):
                tx.send(
                    "DELETE FROM actor_roles WHERE actor_id = ? AND role = ?",
                    (actor, role),
                    rows=1,
                    link="revoke the role",
                )
            record(
                tx,
                actor=by,
                action=action,
                subject=f"actor:{actor}",
                before=_shown(before),
                after=_shown(after),
                at=now,
            )
            return after

        return self._as_admin(by, chain)

    def _as_admin(self, by: str, chain: Callable[[Tx], Actor]) -> Actor:
        """`chain` in one transaction that `by` holding the admin role is a link of; a refusal explained."""
        check_actor_id(by, "by")
        with role_explained(self._store, by, "admin"), self._store.transaction() as tx:
            require_role(tx, by, "admin")
            return chain(tx)


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name", str(name), "must be non-empty text of at most 200 characters")
    return name.strip()
