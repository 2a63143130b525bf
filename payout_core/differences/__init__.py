"""差错: the differences between a channel's truth and our books, each an item opened once and resolved by a
person's audited decision (DifferenceDesk); booking one moves money only through adjustment orders."""

from payout_core.differences.adjustments import Adjustment, AdjustmentKind, adjustments
from payout_core.differences.desk import DifferenceDesk, Resolved
from payout_core.differences.errors import DifferenceError, ItemNotDecidable, ItemNotOpen, UnknownItem
from payout_core.differences.items import (
    ITEM_KINDS,
    Decision,
    FoundBy,
    Item,
    ItemKind,
    ItemState,
    NewItem,
    get_item,
    items,
    open_items,
)

__all__ = [
    "ITEM_KINDS",
    "Adjustment",
    "AdjustmentKind",
    "Decision",
    "DifferenceDesk",
    "DifferenceError",
    "FoundBy",
    "Item",
    "ItemKind",
    "ItemNotDecidable",
    "ItemNotOpen",
    "ItemState",
    "NewItem",
    "Resolved",
    "UnknownItem",
    "adjustments",
    "get_item",
    "items",
    "open_items",
]
