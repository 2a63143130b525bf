"""msgspec Structs that cross cardbin's boundaries (Python API, JSON over HTTP, enrich output).

Field names are a contract: the HTTP API, the client and payout_core use them as they are.
"""

from __future__ import annotations

from typing import Literal

import msgspec

CardType = Literal["debit", "credit", "semi_credit", "prepaid"]
RegionSource = Literal["issuer_code", "bank_seat", "card_segment", "none"]
# How precise the region is: a city (and its province), a province alone, a national issuer (no region), an
# overseas issuer (a country, no domestic region), or nothing known.
RegionLevel = Literal["city", "province", "national", "overseas", "unknown"]
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
    bank_group: str | None  # the group a small bank belongs to (中银富登, 长江 …), when its issuer code shows one
    issuer_name: str  # as printed in the BIN table (a merged bank's old name stays here; bank_name is today's)
    issuer_code: str | None
    card_name: str | None
    card_type: CardType
    pan_length: int
    pan_length_valid: bool
    luhn_valid: bool
    region_level: RegionLevel
    province: str | None
    city: str | None
    city_code: str | None
    country: str | None  # ISO 3166 alpha-2 of an overseas issuer; None for domestic ones
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
    source: str | None = None  # which merged source the row comes from; None: the release's BIN table


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
    source: str = "cnaps_table"  # or bank_directory: a head office the release's CNAPS table lacks


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


class UnmappedIssuer(msgspec.Struct, frozen=True, kw_only=True):
    """An issuer that maps to no bank of the directory: it answers as a bank of its own name (code X…) until data
    staff add it, or the bank it belongs to, to data/banks/curated.csv."""

    issuer_name: str
    issuer_code: str | None
    bins: int


class BankCoverage(msgspec.Struct, frozen=True, kw_only=True):
    """One bank's share of `Coverage`: its BIN rows, their region levels and 联行号 matches."""

    bank: str  # bank_code; "(no bank)" for rows whose issuer maps to no bank
    bins: int
    region: dict[str, int]  # by region_level
    cnaps: dict[str, int]  # by cnaps_match


class Coverage(msgspec.Struct, frozen=True, kw_only=True):
    """How many of a release's answers hold each field, counted over its BIN rows (one per BIN and card length).

    Computed once when a release is built and stored with it, so `release list` shows it without rebuilding, and
    `release report` shows it per bank (`by_bank`, most BIN rows first).
    """

    bins: int
    bank: int  # with a bank identity (bank_code)
    region: dict[str, int]  # by region_level
    country: int  # overseas issuers with a country
    cnaps: dict[str, int]  # by cnaps_match
    cnaps_not_in_release: int  # 联行号 answered that the release's branch table lacks: must be 0
    cnaps_other_bank: int  # 联行号 of a branch whose bank is not the card's: must be 0
    unmapped_issuers: list[UnmappedIssuer]
    by_bank: list[BankCoverage] = msgspec.field(default_factory=list)  # empty for coverage stored before it existed

    def share(self, count: int) -> float:
        return count / self.bins if self.bins else 0.0


class ReleaseInfo(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    loaded_at: str
    active: bool
    sources: list[SourceFile]
    counts: dict[str, int]
    coverage: Coverage | None = None  # None for releases stored before coverage was measured


class Bank(msgspec.Struct, frozen=True, kw_only=True):
    """A bank: `code` is its one canonical code (Alipay-style ICBC, ABC …; see cardbin.banks for banks without one).

    `other_codes` are codes other systems use for the same bank (accepted on input, never answered); a regional
    bank's registered seat is `seat_city_code` (a CNAPS city code) or, for a province-wide bank, `seat_province`.
    """

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    cnaps_category: str | None = None
    head_office_cnaps: str | None = None
    unionpay_prefixes: tuple[str, ...] = ()
    wechat_code: str | None = None
    other_codes: tuple[str, ...] = ()
    group: str | None = None
    seat_city_code: str | None = None
    seat_province: str | None = None

    @property
    def huifu_code(self) -> str | None:
        """Huifu's 8-digit code is the UnionPay institution prefix + 0000 (ICBC 01020000)."""
        return self.unionpay_prefixes[0] + "0000" if self.unionpay_prefixes else None
