"""差错: the differences between a channel's truth and our books, each an item opened once and resolved by a
person's decision."""

from payout_core.differences.items import ITEM_KINDS, Decision, FoundBy, Item, ItemKind, NewItem, get_item, items

__all__ = ["ITEM_KINDS", "Decision", "FoundBy", "Item", "ItemKind", "NewItem", "get_item", "items"]
