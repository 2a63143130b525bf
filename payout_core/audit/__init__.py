"""Who may do what, and what they did: actors with roles, and the append-only audit log.

Other modules make a change permitted and audited by adding two links to its write chain (store/README.md):
`require_role(tx, actor, "operator")` and `record(tx, actor=..., action="merchant.deposit", ...)`.
"""

from payout_core.audit.actors import (
    AUTO,
    ROLES,
    Actor,
    Actors,
    Role,
    check_actor_id,
    read_actor,
    require_role,
    role_explained,
    role_link,
    role_refusal,
)
from payout_core.audit.errors import ActorExists, AlreadyBootstrapped, AuditError, NotPermitted, UnknownActor
from payout_core.audit.log import AuditEntry, entries, record

__all__ = [
    "AUTO",
    "ROLES",
    "Actor",
    "ActorExists",
    "Actors",
    "AlreadyBootstrapped",
    "AuditEntry",
    "AuditError",
    "NotPermitted",
    "Role",
    "UnknownActor",
    "check_actor_id",
    "entries",
    "read_actor",
    "record",
    "require_role",
    "role_explained",
    "role_link",
    "role_refusal",
]
