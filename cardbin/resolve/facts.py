"""What indexing a release computes once: each BIN row's bank and region, each branch's bank, rank and head office.

This is the slow part of opening a release (bank identities, seats, the branch ranks: hundreds of milliseconds);
assembling the lookup structures from it (`cardbin.resolve.index.ReleaseIndex`) is fast. The facts are msgspec
Structs so the bundled release ships them, answers included (`cardbin.resolve.snapshot`).
"""

from __future__ import annotations

from collections import Counter

import msgspec

from cardbin.banks.directory import BankDirectory
from cardbin.banks.identity import identify
from cardbin.banks.names import Places
from cardbin.model import Bank, BinRecord, CardInfo, City
from cardbin.release.rows import ReleaseRows, SegmentRow
from cardbin.resolve.branches import BranchFacts, branch_facts
from cardbin.resolve.region import Region, Regions


class IndexedRow(msgspec.Struct, frozen=True, array_like=True):
    """A BIN row with the code of its bank (one of `IndexFacts.banks`) and the region its data gives."""

    record: BinRecord
    bank: str | None
    region: Region


class IndexFacts(msgspec.Struct, frozen=True, array_like=True):
    """Everything a ReleaseIndex is assembled from."""

    release: str
    cities: list[City]
    banks: list[Bank]  # the banks the rows name, and the banks only this release names
    derived: list[str]  # codes of the banks only this release names (not in the directory)
    branches: BranchFacts
    rows: list[IndexedRow]  # exact duplicate rows once
    segments: list[SegmentRow]
    # (row number, CardInfo template) of every (BIN, card length) the rows give; None: computed by the index.
    answers: list[tuple[int, CardInfo]] | None = None


def index_facts(tables: ReleaseRows, directory: BankDirectory) -> IndexFacts:
    """The facts of a release's tables against the bank `directory` (see `cardbin.resolve.index` for the rules)."""
    cities: dict[str, City] = {}
    for city in tables.cities:
        cities.setdefault(city.city_code, city)
    regions = Regions(cities)
    issuers = identify(directory, Counter((r.issuer_code, r.issuer_name) for r in tables.bins), Places(cities.values()))
    derived = list(issuers.derived.values())
    # The directory plus the banks only this release names: branches and /v1/banks know them too.
    directory = directory.extended(derived)
    banks = {bank.code: bank for bank in derived}
    rows: list[IndexedRow] = []
    for record in dict.fromkeys(tables.bins):  # exact duplicate rows are one row, not an alternative of themselves
        bank = directory.by_code(record.bank_code) if record.bank_code else None
        if bank is None:
            bank = issuers.bank(record.issuer_code, record.issuer_name)
        region = regions.of_issuer(record.issuer_code)
        if record.issuer_code is None:
            region = regions.of_seat(bank) or region
        if bank is not None:
            banks.setdefault(bank.code, bank)
        rows.append(IndexedRow(record, bank.code if bank else None, region))
    return IndexFacts(
        release=tables.month,
        cities=list(cities.values()),
        banks=list(banks.values()),
        derived=[bank.code for bank in derived],
        branches=branch_facts(tables.branches, cities, directory),
        rows=rows,
        segments=list(tables.segments),
    )
