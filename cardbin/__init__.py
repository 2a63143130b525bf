"""cardbin: bank-card BIN, region and CNAPS (联行号) resolution from versioned monthly releases."""

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
    UnknownBin,
    UnknownBranch,
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
    "UnknownBin",
    "UnknownBranch",
    "cnaps",
    "pan",
]
