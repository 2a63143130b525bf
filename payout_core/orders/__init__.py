"""Payout orders: the lifecycle table, idempotent submission, and the engine that moves them."""

from payout_core.orders.engine import PayoutEngine
from payout_core.orders.errors import (
    AutoApprovalRefused,
    ExplicitFailureRequired,
    IllegalTransition,
    OrderConflict,
    OrderError,
    SelfApproval,
    TransitionError,
    UnknownChannelAccount,
    UnknownMerchant,
    UnknownOrder,
    UnlistedFailureCode,
)
from payout_core.orders.lifecycle import FINAL, LIFECYCLE, Action, Move, OrderState, Source, allows, order_transfers
from payout_core.orders.model import Approval, Merchant, Order

__all__ = [
    "FINAL",
    "LIFECYCLE",
    "Action",
    "Approval",
    "AutoApprovalRefused",
    "ExplicitFailureRequired",
    "IllegalTransition",
    "Merchant",
    "Move",
    "Order",
    "OrderConflict",
    "OrderError",
    "OrderState",
    "PayoutEngine",
    "SelfApproval",
    "Source",
    "TransitionError",
    "UnknownChannelAccount",
    "UnknownMerchant",
    "UnknownOrder",
    "UnlistedFailureCode",
    "allows",
    "order_transfers",
]
