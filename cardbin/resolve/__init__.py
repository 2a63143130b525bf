"""Resolution: card number → bank, card, region and 联行号, single (Resolver) and batch (enrich)."""

from cardbin.resolve.resolver import Resolver, lookup

__all__ = ["Resolver", "lookup"]
