"""msgspec Structs that cross cardbin's boundaries (Python API, JSON over HTTP, enrich output).

Field names are a contract: the HTTP API, the client and payout_core use them as they are.
"""

from __future__ import annotations

from typing import Literal

import msgspec

CardType = Literal["debit", "credit", "semi_credit", "prepaid"]
RegionSource = Literal["issuer_code", "card_segment", "none"]
CnapsMatch = Literal["city_branch", "province_branch", "head_office", "none"]

# UnionPay's 卡种 as written in its tables → the card_type cardbin reports.
CARD_TYPES: dict[str, CardType] = {
    "借记卡": "debit",
    "贷记卡": "credit",
    "准贷记卡": "semi_credit",
    "预付费卡": "prepaid",
}


class Alternative(msgspec.Struct, frozen=True, kw_only=True):
    """Another BIN row that matched equally well: listed so the choice is never a silent guess."""

    bin: str
    pan_length: int
    issuer_name: str
    issuer_code: str | None
    bank_code: str | None
    card_type: CardType


class CardInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What cardbin knows about one card number (the lookup result)."""

    card_number_masked: str
    bin: str
    bank_code: str | None
    bank_name: str
    issuer_code: str | None
    card_name: str | None
    card_type: CardType
    pan_length: int
    pan_length_valid: bool
    luhn_valid: bool
    province: str | None
    city: str | None
    city_code: str | None
    region_source: RegionSource
    region_reason: str | None
    branch_name: str | None
    cnaps_code: str | None
    cnaps_match: CnapsMatch
    alternatives: tuple[Alternative, ...]  # immutable, so one cached answer can be shared by every lookup
    release: str


class BinRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a release's BIN table, as served by the BIN-prefix lookup."""

    bin: str
    pan_length: int
    issuer_name: str
    issuer_code: str | None
    card_name: str | None
    card_type: CardType
    bank_code: str | None


class Branch(msgspec.Struct, frozen=True, kw_only=True):
    """A CNAPS participant (bank branch) with its region."""

    cnaps_code: str
    name: str
    bank_category: str
    bank_code: str | None
    bank_name: str | None
    clearing_code: str | None
    city_code: str
    city: str | None
    province: str | None


class City(msgspec.Struct, frozen=True, kw_only=True):
    city_code: str
    city: str
    province: str
    province_code: str | None


class SourceFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file a release was built from: enough to prove later exactly what was loaded."""

    kind: str
    name: str
    sha256: str
    rows: int


class ReleaseInfo(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    loaded_at: str
    active: bool
    sources: list[SourceFile]
    counts: dict[str, int]


class Bank(msgspec.Struct, frozen=True, kw_only=True):
    """A bank of the directory; `code` is the Alipay-style short code (ICBC, ABC …)."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    cnaps_category: str | None = None
    head_office_cnaps: str | None = None
    unionpay_prefixes: tuple[str, ...] = ()
    wechat_code: str | None = None

    @property
    def huifu_code(self) -> str | None:
        """Huifu's 8-digit code is the UnionPay institution prefix + 0000 (ICBC 01020000)."""
        return self.unionpay_prefixes[0] + "0000" if self.unionpay_prefixes else None
