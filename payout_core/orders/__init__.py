"""Payout orders: states, legal transitions, idempotent submission, and the engine that moves them."""

from payout_core.orders.engine import PayoutEngine
from payout_core.orders.errors import (
    ExplicitFailureRequired,
    IllegalTransition,
    OrderConflict,
    OrderError,
    StaleState,
    TransitionError,
    UnknownMerchant,
    UnknownOrder,
)
from payout_core.orders.model import FINAL, LEGAL, Approval, Merchant, Order, OrderState

__all__ = [
    "FINAL",
    "LEGAL",
    "Approval",
    "ExplicitFailureRequired",
    "IllegalTransition",
    "Merchant",
    "Order",
    "OrderConflict",
    "OrderError",
    "OrderState",
    "PayoutEngine",
    "StaleState",
    "TransitionError",
    "UnknownMerchant",
    "UnknownOrder",
]
