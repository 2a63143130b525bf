"""Resolver: card number → CardInfo, BIN prefix → rows, branch search, from one release held in memory."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from cardbin.banks.directory import BankDirectory, default_directory
from cardbin.errors import InvalidInput, ReleaseNotFound, UnknownBin
from cardbin.model import Bank, BinRecord, Branch, CardInfo, City
from cardbin.pan import luhn_valid, mask_digits, normalize_pan, normalize_prefix
from cardbin.paths import default_db_path
from cardbin.resolve.index import SEGMENT_REFINES, ReleaseIndex, unknown_bin

if TYPE_CHECKING:
    from cardbin.release.schema import ReleaseData

_replace = msgspec.structs.replace


class Resolver:
    """Answers from one release; build it once (``open`` or ``from_release``) and share it: it is read-only."""

    def __init__(self, index: ReleaseIndex) -> None:
        self.index = index
        self.release: str = index.release

    @classmethod
    def from_release(cls, data: ReleaseData, directory: BankDirectory | None = None) -> Resolver:
        return cls(ReleaseIndex.build(data.rows(), directory or default_directory()))

    @classmethod
    def open(cls, db: str | Path | None = None, month: str | None = None) -> Resolver:
        """The active release (or release `month`, active or not) of `db`; without `db`, of ``CARDBIN_DB``;
        without that, the bundled release.

        Imports neither polars nor (for the bundled release) DuckDB: a one-off lookup starts fast."""
        path = Path(db) if db is not None else default_db_path()
        if path is not None:
            from cardbin.store import ReleaseStore

            return cls(ReleaseIndex.build(ReleaseStore(path).read_rows(month), default_directory()))
        from cardbin.resolve.snapshot import bundled_index

        index = bundled_index()
        if month is not None and month != index.release:
            raise ReleaseNotFound(
                f"release {month}: without a store (--db or CARDBIN_DB) only the bundled release {index.release} exists"
            )
        return cls(index)

    def lookup(self, card_number: str) -> CardInfo:
        """Bank, card, region and 联行号 of a card number; Luhn and length are flags, never a rejection.

        The hot path: normalise, probe the BIN tables, copy the shared answer with the card's own fields."""
        pan = normalize_pan(card_number)
        index = self.index
        hit = index.find(pan)
        if hit is None:
            raise unknown_bin("card_number", mask_digits(pan), self.release)
        info = hit.info
        if index.segments and info.region_source in SEGMENT_REFINES:
            info = index.with_segment(hit, index.segment_city(pan))
        return _replace(info, card_number_masked=mask_digits(pan), luhn_valid=luhn_valid(pan))

    def lookup_bin(self, prefix: str) -> list[BinRecord]:
        """Every row (all PAN lengths, all issuers) of the longest BIN that is a prefix of `prefix`."""
        digits = normalize_prefix(prefix)
        for length in self.index.bin_lengths:
            rows = self.index.rows_by_bin.get(digits[:length]) if length <= len(digits) else None
            if rows:
                return [row.record for row in rows]
        raise UnknownBin("prefix", digits, f"no BIN of release {self.release} is a prefix of it")

    def branches(
        self, bank: str | None = None, city: str | None = None, q: str | None = None, limit: int = 20
    ) -> list[Branch]:
        """Branches by bank (code or name), city (CNAPS city code or name) and keywords (all must appear)."""
        if limit < 1:
            raise InvalidInput("limit", str(limit), "must be at least 1")
        found: Bank | None = None
        if bank is not None and bank.strip():
            found = self.index.directory.by_code(bank) or self.index.directory.by_name(bank)
            if found is None:
                raise InvalidInput("bank", bank, "is neither a bank code nor a bank name of the directory")
        return self.index.branches.search(found, city, q, limit)

    def branch(self, cnaps_code: str) -> Branch:
        """The branch with this 联行号; InvalidCnapsCode when malformed, UnknownBranch when not in the release."""
        return self.index.branches.branch(cnaps_code)

    def banks(self) -> list[Bank]:
        return list(self.index.directory.banks)

    def cities(self) -> list[City]:
        return sorted(self.index.cities.values(), key=lambda c: c.city_code)


@cache
def _default() -> Resolver:
    return Resolver.open()


def lookup(card_number: str) -> CardInfo:
    """Look a card up on the active (``CARDBIN_DB``) or bundled release, opened once per process."""
    return _default().lookup(card_number)
