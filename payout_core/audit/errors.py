"""Typed errors of actors, roles and the audit log; a refused change wrote nothing (not even its audit row)."""

from __future__ import annotations

from payout_core.errors import PayoutError


class AuditError(PayoutError):
    """Base of every error raised on purpose about who may act."""


class NotPermitted(AuditError, PermissionError):
    """The actor is unknown, deactivated, or does not hold the role the change needs."""

    def __init__(self, actor: str, role: str, why: str) -> None:
        self.actor = actor
        self.role = role
        self.why = why
        super().__init__(f"actor={actor!r}: may not act as {role}: {why}")


class UnknownActor(AuditError, LookupError):
    def __init__(self, actor: str) -> None:
        self.actor = actor
        super().__init__(f"actor={actor!r}: no such actor")


class ActorExists(AuditError):
    def __init__(self, actor: str) -> None:
        self.actor = actor
        super().__init__(f"actor={actor!r}: already exists (grant roles to it instead)")


class AlreadyBootstrapped(AuditError):
    """The first admin is created once; every later actor is added by an admin."""

    def __init__(self) -> None:
        super().__init__("the first admin was created already: an admin adds every other actor")
