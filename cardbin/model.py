"""msgspec Structs that cross cardbin's boundaries (Python API, JSON over HTTP, enrich output).

Field names are a contract: the HTTP API, the client and payout_core use them as they are.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

CardType = Literal["debit", "credit", "semi_credit", "prepaid"]
RegionSource = Literal["issuer_code", "bank_seat", "card_segment", "none"]
# How precise the region is: a city (and its province), a province alone, a national issuer (no region), an
# overseas issuer (a country, no domestic region), or nothing known.
RegionLevel = Literal["city", "province", "national", "overseas", "unknown"]
CnapsMatch = Literal["city_branch", "province_branch", "head_office", "none"]


def doc(description: str, *examples: Any, **documented: Any) -> msgspec.Meta:
    """A field's description and examples for the OpenAPI document (and `msgspec.json.schema`).

    `documented` constraints (`pattern`, `min_length`, …) are published but not enforced on decoding: the
    resolver checks card numbers and 联行号 itself, with errors that name the rule, and a pattern failure would not.
    """
    extra = {"extra": documented} if documented else None
    return msgspec.Meta(description=description, examples=list(examples) or None, extra_json_schema=extra)


MASKED_PAN = r"^[0-9]{6}\*{2,9}[0-9]{4}$"
CNAPS_PATTERN = r"^[0-9]{12}$"
MONTH_PATTERN = r"^[0-9]{4}-[0-9]{2}$"

# Field types that several Structs share, documented once.
Bin = Annotated[str, doc("The BIN (issuer prefix), 6–10 digits.", "622202")]
PanLength = Annotated[int, doc("Card-number length of the BIN row.", 19)]
IssuerName = Annotated[str, doc("The issuer as printed in UnionPay's BIN table.", "中国工商银行")]
IssuerCode = Annotated[str | None, doc("UnionPay 机构代码 of the issuer (8 digits).", "01020000")]
BankCode = Annotated[str | None, doc("Canonical bank code; null when the bank is not in the directory.", "ICBC")]
CardName = Annotated[str | None, doc("The card product's name.", "牡丹灵通卡")]
CardTypeField = Annotated[CardType, doc("debit, credit, semi_credit (准贷记卡) or prepaid.", "debit")]
CityCode = Annotated[str, doc("UnionPay / CNAPS 4-digit city code.", "1000")]
CityName = Annotated[str, doc("City name.", "北京市")]
ProvinceName = Annotated[str, doc("Province name.", "北京市")]
CnapsCategory = Annotated[str, doc("CNAPS bank category (行别), 3 digits.", "102")]
CnapsCode = Annotated[str, doc("A 12-digit 联行号 (CNAPS code).", "102100000021", pattern=CNAPS_PATTERN)]
BankName = Annotated[str, doc("The bank's name.", "中国工商银行")]
Month = Annotated[str, doc("A release month (YYYY-MM).", "2026-11", pattern=MONTH_PATTERN)]
Count = Annotated[int, doc("A count of BIN rows.", 12874)]

# UnionPay's 卡种 as written in its tables → the card_type cardbin reports.
CARD_TYPES: dict[str, CardType] = {
    "借记卡": "debit",
    "贷记卡": "credit",
    "准贷记卡": "semi_credit",
    "预付费卡": "prepaid",
}


class Alternative(msgspec.Struct, frozen=True, kw_only=True):
    """Another BIN row that matched equally well: listed so the choice is never a silent guess."""

    bin: Bin
    pan_length: PanLength
    issuer_name: IssuerName
    issuer_code: IssuerCode
    bank_code: BankCode
    card_type: CardTypeField


class CardInfo(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What cardbin knows about one card number (the lookup result).

    Untracked by the garbage collector (it holds only strings, numbers and frozen Alternatives, so it can never be
    part of a reference cycle): every lookup creates one, and tracking them costs the hot path ~7 %."""

    card_number_masked: Annotated[
        str, doc("The card number, first 6 and last 4 digits kept.", "622202*********0128", pattern=MASKED_PAN)
    ]
    bin: Bin
    bank_code: BankCode
    bank_name: Annotated[str, doc("The issuing bank's name today.", "中国工商银行")]
    bank_group: Annotated[
        str | None, doc("The group a small bank belongs to, when its issuer code shows one.", "中银富登")
    ]  # (中银富登, 长江 …)
    issuer_name: Annotated[
        str, doc("The issuer as printed in the BIN table (a merged bank keeps its old name here).", "中国工商银行")
    ]
    issuer_code: IssuerCode
    card_name: CardName
    card_type: CardTypeField
    pan_length: PanLength
    pan_length_valid: Annotated[bool, doc("The card number has the length its BIN row gives.", True)]
    luhn_valid: Annotated[bool, doc("The Luhn check digit holds: a flag, never a reason to refuse.", True)]
    region_level: Annotated[
        RegionLevel, doc("How precise the region is: city, province, national, overseas or unknown.", "city")
    ]
    province: Annotated[str | None, doc("Province of the issuer, when known.", "北京市")]
    city: Annotated[str | None, doc("City of the issuer, when known.", "北京市")]
    city_code: CityCode | None
    country: Annotated[str | None, doc("ISO 3166 alpha-2 country of an overseas issuer; null if domestic.", "HK")]
    region_source: Annotated[
        RegionSource, doc("Where the region came from: issuer_code, bank_seat, card_segment or none.", "issuer_code")
    ]
    region_reason: Annotated[
        str | None, doc("Why no region is given, when none is.", "no 机构代码 for this BIN in the release")
    ]
    branch_name: Annotated[str | None, doc("The CNAPS participant matched.", "中国工商银行北京市分行营业部")]
    cnaps_code: Annotated[
        str | None, doc("The 12-digit 联行号 (CNAPS code) matched.", "102100000030", pattern=CNAPS_PATTERN)
    ]
    cnaps_match: Annotated[
        CnapsMatch,
        doc("How the 联行号 was matched: city_branch, province_branch, head_office or none.", "city_branch"),
    ]
    alternatives: Annotated[
        tuple[Alternative, ...], doc("Other BIN rows that matched as well (ambiguous BINs); usually empty.", [])
    ]  # immutable, so one cached answer can be shared by every lookup
    release: Month  # the release that answered


class BinRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a release's BIN table, as served by the BIN-prefix lookup."""

    bin: Bin
    pan_length: PanLength
    issuer_name: IssuerName
    issuer_code: IssuerCode
    card_name: CardName
    card_type: CardTypeField
    bank_code: BankCode
    source: Annotated[
        str | None, doc("Which merged source the row comes from; null: the release's BIN table.", "hexindai")
    ] = None


class Branch(msgspec.Struct, frozen=True, kw_only=True):
    """A CNAPS participant (bank branch) with its region."""

    cnaps_code: CnapsCode
    name: Annotated[str, doc("The participant's full name.", "中国工商银行股份有限公司北京新华支行")]
    bank_category: CnapsCategory
    bank_code: BankCode
    bank_name: BankName | None
    clearing_code: Annotated[
        str | None, doc("联行号 of the clearing participant above this one.", "102100099996", pattern=CNAPS_PATTERN)
    ]
    city_code: CityCode
    city: CityName | None
    province: ProvinceName | None
    source: Annotated[
        str, doc("cnaps_table, or bank_directory: a head office the release's CNAPS table lacks.", "cnaps_table")
    ] = "cnaps_table"


class City(msgspec.Struct, frozen=True, kw_only=True):
    city_code: CityCode
    city: CityName
    province: ProvinceName
    province_code: Annotated[str | None, doc("2-digit province code (GB/T 2260).", "11")]


class SourceFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file a release was built from: enough to prove later exactly what was loaded."""

    kind: Annotated[str, doc("Which input this was (bin_table, cnaps_table, cities, …).", "bin_table")]
    name: Annotated[str, doc("The file's name as loaded.", "卡表.xls")]
    sha256: Annotated[
        str,
        doc("SHA-256 of the file's bytes, hex.", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ]
    rows: Annotated[int, doc("Data rows read from it.", 12874)]


class UnmappedIssuer(msgspec.Struct, frozen=True, kw_only=True):
    """An issuer that maps to no bank of the directory: it answers as a bank of its own name (code X…) until data
    staff add it, or the bank it belongs to, to data/banks/curated.csv."""

    issuer_name: IssuerName
    issuer_code: IssuerCode
    bins: Annotated[int, doc("BIN rows of this issuer.", 3)]


class BankCoverage(msgspec.Struct, frozen=True, kw_only=True):
    """One bank's share of `Coverage`: its BIN rows, their region levels and 联行号 matches."""

    bank: Annotated[str, doc("bank_code; `(no bank)` for rows whose issuer maps to no bank.", "ICBC")]
    bins: Annotated[int, doc("BIN rows of this bank.", 310)]
    region: Annotated[dict[str, int], doc("Its rows by region_level.", {"city": 250, "province": 60})]
    cnaps: Annotated[dict[str, int], doc("Its rows by cnaps_match.", {"city_branch": 250, "head_office": 60})]


class Coverage(msgspec.Struct, frozen=True, kw_only=True):
    """How many of a release's answers hold each field, counted over its BIN rows (one per BIN and card length).

    Computed once when a release is built and stored with it, so `release list` shows it without rebuilding, and
    `release report` shows it per bank (`by_bank`, most BIN rows first).
    """

    bins: Annotated[int, doc("BIN rows of the release (one per BIN and card length).", 12874)]
    bank: Annotated[int, doc("Rows with a bank identity (bank_code).", 12790)]
    region: Annotated[dict[str, int], doc("Rows by region_level.", {"city": 9000, "province": 2000})]
    country: Annotated[int, doc("Overseas issuers' rows with a country.", 310)]
    cnaps: Annotated[dict[str, int], doc("Rows by cnaps_match.", {"city_branch": 8000, "head_office": 4000})]
    cnaps_not_in_release: Annotated[int, doc("联行号 answered that the release's branch table lacks: must be 0.", 0)]
    cnaps_other_bank: Annotated[int, doc("联行号 of a branch whose bank is not the card's: must be 0.", 0)]
    unmapped_issuers: Annotated[list[UnmappedIssuer], doc("Issuers that map to no bank.")]
    by_bank: Annotated[list[BankCoverage], doc("The same per bank, most BIN rows first.")] = msgspec.field(
        default_factory=list
    )  # empty for coverage stored before it existed

    def share(self, count: int) -> float:
        return count / self.bins if self.bins else 0.0


class ReleaseInfo(msgspec.Struct, frozen=True, kw_only=True):
    month: Month
    loaded_at: Annotated[str, doc("When it was loaded (ISO 8601, UTC).", "2026-11-01T02:00:00+00:00")]
    active: Annotated[bool, doc("This is the store's active release.", True)]
    sources: Annotated[list[SourceFile], doc("The files it was built from.")]
    counts: Annotated[dict[str, int], doc("Rows per table.", {"bins": 12874, "branches": 2968})]
    coverage: Annotated[
        Coverage | None, doc("Fields answered over the BIN rows; null for releases stored before it was measured.")
    ] = None


class Bank(msgspec.Struct, frozen=True, kw_only=True):
    """A bank: `code` is its one canonical code (Alipay-style ICBC, ABC …; see cardbin.banks for banks without one).

    `other_codes` are codes other systems use for the same bank (accepted on input, never answered); a regional
    bank's registered seat is `seat_city_code` (a CNAPS city code) or, for a province-wide bank, `seat_province`.
    """

    code: Annotated[str, doc("The bank's canonical code (Alipay style where it has one).", "ICBC")]
    name: BankName
    aliases: Annotated[tuple[str, ...], doc("Other names the bank is known by.", ["工商银行"])] = ()
    cnaps_category: CnapsCategory | None = None
    head_office_cnaps: Annotated[
        str | None, doc("联行号 of the head office.", "102100099996", pattern=CNAPS_PATTERN)
    ] = None
    unionpay_prefixes: Annotated[tuple[str, ...], doc("UnionPay institution-code prefixes (4 digits).", ["0102"])] = ()
    other_codes: Annotated[
        tuple[str, ...], doc("Codes other systems use for this bank: accepted on input, never answered.", ["ICBKCN"])
    ] = ()
    group: Annotated[str | None, doc("The group the bank belongs to, if any.", "中银富登")] = None
    seat_city_code: Annotated[str | None, doc("CNAPS city code of a regional bank's registered seat.", "1000")] = None
    seat_province: Annotated[str | None, doc("Province of a province-wide bank's seat.", "浙江省")] = None

    @property
    def huifu_code(self) -> str | None:
        """Huifu's 8-digit code is the UnionPay institution prefix + 0000 (ICBC 01020000)."""
        return self.unionpay_prefixes[0] + "0000" if self.unionpay_prefixes else None
