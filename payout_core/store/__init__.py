"""One schema on two back ends: SQLite (embedded default) and PostgreSQL (production), same SQL, same tests."""

from payout_core.store.backend import Store, open_store
from payout_core.store.clock import Clock, from_micros, to_micros, utcnow
from payout_core.store.errors import (
    BatchedRead,
    BrokenLink,
    ConstraintViolation,
    MigrationError,
    NestedTransaction,
    StoreError,
)
from payout_core.store.lease import Lease, wall_micros, worker_id
from payout_core.store.migrate import MIGRATIONS
from payout_core.store.tx import Batch, ChainProbe, Deferred, Later, Params, Row, Tx

__all__ = [
    "MIGRATIONS",
    "Batch",
    "BatchedRead",
    "BrokenLink",
    "ChainProbe",
    "Clock",
    "ConstraintViolation",
    "Deferred",
    "Later",
    "Lease",
    "MigrationError",
    "NestedTransaction",
    "Params",
    "Row",
    "Store",
    "StoreError",
    "Tx",
    "from_micros",
    "open_store",
    "to_micros",
    "utcnow",
    "wall_micros",
    "worker_id",
]
