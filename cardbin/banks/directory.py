"""Load the bank directory (generated.csv overlaid by curated.csv, plus lineage.csv) and answer bank questions.

Shared by the loader (which stamps each BIN row with its bank code), the index (a bank's CNAPS 行别, seat and
head office) and payout_core (which maps banks to each channel's own codes and accepts every code in use).

One canonical code per bank: `Bank.other_codes` (HKBEA for BEAHK …) are accepted by `by_code` and answered
as the canonical bank. Names match in their canonical form (`cardbin.banks.names.canonical_name`): a bank's
name, an alias, or a predecessor's name from lineage.csv (镇江市商业银行 → 江苏银行 since 2007), else the
longest known name the text starts with (浙商银行上海分行 → 浙商银行).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import msgspec

from cardbin.banks.names import canonical_name
from cardbin.model import Bank
from cardbin.paths import BANKS_DIR

# Categories whose 行别 is shared by many banks: a branch must also match the bank by name.
SHARED_CATEGORIES = frozenset({"313", "314", "320", "323", "402"})


class Lineage(msgspec.Struct, frozen=True, kw_only=True):
    """A bank that merged into or was renamed as another: cards it issued answer as the successor."""

    predecessor: str  # the name as tables still print it
    successor: str  # canonical code of the bank today
    year: int
    event: str  # merged | renamed
    source: str


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (cell or "").split(";") if p.strip())


def _read(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["code"].strip(): row for row in csv.DictReader(f) if row.get("code", "").strip()}


def _cell(row: dict[str, str], column: str) -> str | None:
    return (row.get(column) or "").strip() or None


class BankDirectory:
    """Immutable lookups over the banks (see module doc)."""

    def __init__(self, banks: Iterable[Bank], lineage: Iterable[Lineage] = ()) -> None:
        self.banks: tuple[Bank, ...] = tuple(sorted(banks, key=lambda b: b.code))
        self.lineage: tuple[Lineage, ...] = tuple(lineage)
        self._by_code: dict[str, Bank] = {}
        self._by_prefix: dict[str, Bank] = {}
        self._by_name: dict[str, Bank] = {}
        # Banks with UnionPay prefixes or a CNAPS category are the curated ones: their names win ties.
        for bank in sorted(self.banks, key=lambda b: (not b.unionpay_prefixes, b.cnaps_category is None, b.code)):
            self._by_code.setdefault(bank.code, bank)
            for prefix in bank.unionpay_prefixes:
                self._by_prefix.setdefault(prefix, bank)
            for name in (bank.name, *bank.aliases):
                self._by_name.setdefault(canonical_name(name), bank)
        for bank in self.banks:
            for code in bank.other_codes:
                self._by_code.setdefault(code, bank)
        for step in self.lineage:
            successor = self._by_code.get(step.successor)
            if successor is not None:
                self._by_name[canonical_name(step.predecessor)] = successor
        self._longest_name = max(map(len, self._by_name), default=0)

    def by_code(self, code: str) -> Bank | None:
        """The bank of a canonical code or of another code in use for it (HKBEA → the bank coded BEAHK)."""
        return self._by_code.get(code.strip().upper())

    def canonical_code(self, code: str) -> str | None:
        """The one code cardbin answers for a bank given by any of its codes; None for an unknown code."""
        bank = self.by_code(code)
        return bank.code if bank is not None else None

    def by_unionpay_prefix(self, issuer_code: str) -> Bank | None:
        """Bank of an 8-digit UnionPay 机构代码 (or its 4-digit institution prefix) curated in the directory."""
        return self._by_prefix.get(issuer_code[:4])

    def by_name(self, name: str) -> Bank | None:
        """Exact name, alias or predecessor; else the bank whose longest name the text starts with."""
        text = canonical_name(name)
        for length in range(min(len(text), self._longest_name), 1, -1):
            found = self._by_name.get(text[:length])
            if found is not None:
                return found
        return None

    def for_issuer(self, issuer_code: str | None, issuer_name: str | None) -> Bank | None:
        """The directory bank of a UnionPay issuer: by curated institution prefix first (stable), then by name."""
        if issuer_code:
            bank = self.by_unionpay_prefix(issuer_code)
            if bank is not None:
                return bank
        return self.by_name(issuer_name) if issuer_name else None

    def by_category(self, category: str) -> list[Bank]:
        return [b for b in self.banks if b.cnaps_category == category]

    def extended(self, banks: Iterable[Bank]) -> BankDirectory:
        """This directory plus banks a release names that it does not know (their codes never clash)."""
        extra = [b for b in banks if b.code not in self._by_code]
        return BankDirectory([*self.banks, *extra], self.lineage) if extra else self


def _bank(code: str, row: dict[str, str]) -> Bank:
    return Bank(
        code=code,
        name=row["name"].strip(),
        aliases=tuple(a for a in _split(row.get("aliases")) if a != row["name"]),
        cnaps_category=_cell(row, "cnaps_category"),
        head_office_cnaps=_cell(row, "head_office_cnaps"),
        unionpay_prefixes=_split(row.get("unionpay_prefixes")),
        other_codes=_split(row.get("other_codes")),
        group=_cell(row, "group"),
        seat_city_code=_cell(row, "seat_city_code"),
        seat_province=_cell(row, "seat_province"),
    )


def load_directory(
    generated: Path | None = None, curated: Path | None = None, lineage: Path | None = None
) -> BankDirectory:
    """generated.csv overlaid by curated.csv (a non-empty curated cell wins, curated-only banks are added).

    A code that curated.csv lists among a bank's `other_codes` is that bank's, never a bank of its own.
    """
    rows = _read(generated or BANKS_DIR / "generated.csv")
    for code, row in _read(curated or BANKS_DIR / "curated.csv").items():
        merged = dict(rows.get(code, {}))
        merged.update({k: v for k, v in row.items() if v and v.strip()})
        rows[code] = merged
    taken = {other for row in rows.values() for other in _split(row.get("other_codes"))}
    with (lineage or BANKS_DIR / "lineage.csv").open(encoding="utf-8", newline="") as f:
        steps = [
            Lineage(
                predecessor=r["predecessor"].strip(),
                successor=r["successor"].strip(),
                year=int(r["year"]),
                event=r["event"].strip(),
                source=r["source"].strip(),
            )
            for r in csv.DictReader(f)
        ]
    return BankDirectory([_bank(code, row) for code, row in rows.items() if code not in taken], steps)


@cache
def default_directory() -> BankDirectory:
    """The shipped directory, loaded once per process."""
    return load_directory()
