"""cardbin: bank-card BIN, region and CNAPS (联行号) resolution from versioned monthly releases."""

from typing import TYPE_CHECKING, Any

from cardbin import cnaps, pan
from cardbin.errors import (
    CardbinError,
    InvalidCardNumber,
    InvalidCnapsCode,
    InvalidInput,
    LoadRefused,
    NotFound,
    ReleaseError,
    ReleaseNotFound,
    StoreBusy,
    StoreUnavailable,
    UnknownBin,
    UnknownBranch,
    UnreadableSource,
)
from cardbin.model import Alternative, Bank, BinRecord, Branch, CardInfo, City, ReleaseInfo

__all__ = [
    "Alternative",
    "Bank",
    "BinRecord",
    "Branch",
    "CardInfo",
    "CardbinError",
    "City",
    "InvalidCardNumber",
    "InvalidCnapsCode",
    "InvalidInput",
    "LoadRefused",
    "NotFound",
    "ReleaseError",
    "ReleaseInfo",
    "ReleaseNotFound",
    "Resolver",
    "StoreBusy",
    "StoreUnavailable",
    "UnknownBin",
    "UnknownBranch",
    "UnreadableSource",
    "cnaps",
    "lookup",
    "pan",
]

if TYPE_CHECKING:
    from cardbin.resolve import Resolver, lookup


def __getattr__(name: str) -> Any:
    """Resolver and lookup load polars and DuckDB: only when asked for, so `import cardbin.pan` stays light."""
    if name in ("Resolver", "lookup"):
        from cardbin import resolve

        return getattr(resolve, name)
    raise AttributeError(f"module 'cardbin' has no attribute {name!r}")
