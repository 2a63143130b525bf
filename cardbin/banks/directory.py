"""Load the bank directory (generated.csv overlaid by curated.csv) and answer bank questions.

Shared by the loader (which stamps each BIN row with its bank code), the resolver (which needs a bank's
CNAPS 行别 and head office) and payout_core (which maps banks to each channel's own codes).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from cardbin.model import Bank
from cardbin.paths import BANKS_DIR

# Categories whose 行别 is shared by many banks: a branch must also match the bank by name.
SHARED_CATEGORIES = frozenset({"313", "314", "320", "323", "402"})


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (cell or "").split(";") if p.strip())


def _read(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["code"].strip(): row for row in csv.DictReader(f) if row.get("code", "").strip()}


class BankDirectory:
    """Immutable lookups over the banks; names match exactly or by the longest known name a text starts with."""

    def __init__(self, banks: list[Bank]) -> None:
        self.banks: tuple[Bank, ...] = tuple(sorted(banks, key=lambda b: b.code))
        self._by_code = {b.code: b for b in self.banks}
        self._by_prefix: dict[str, Bank] = {}
        self._by_name: dict[str, Bank] = {}
        # Banks with UnionPay prefixes or a CNAPS category are the curated ones: their names win ties.
        for bank in sorted(self.banks, key=lambda b: (not b.unionpay_prefixes, b.cnaps_category is None, b.code)):
            for prefix in bank.unionpay_prefixes:
                self._by_prefix.setdefault(prefix, bank)
            for name in (bank.name, *bank.aliases):
                self._by_name.setdefault(name, bank)
        self._names_longest_first = sorted(self._by_name, key=len, reverse=True)

    def by_code(self, code: str) -> Bank | None:
        return self._by_code.get(code.strip().upper())

    def by_unionpay_prefix(self, issuer_code: str) -> Bank | None:
        """Bank of an 8-digit UnionPay 机构代码 (or its 4-digit institution prefix)."""
        return self._by_prefix.get(issuer_code[:4])

    def by_name(self, name: str) -> Bank | None:
        """Exact name or alias; else the bank whose longest name the text starts with (浙商银行上海分行 → CZBANK)."""
        name = name.strip()
        exact = self._by_name.get(name)
        if exact is not None:
            return exact
        for known in self._names_longest_first:
            if name.startswith(known):
                return self._by_name[known]
        return None

    def for_issuer(self, issuer_code: str | None, issuer_name: str | None) -> Bank | None:
        """The bank of a UnionPay issuer: by institution prefix first (stable), then by name."""
        if issuer_code:
            bank = self.by_unionpay_prefix(issuer_code)
            if bank is not None:
                return bank
        return self.by_name(issuer_name) if issuer_name else None

    def by_category(self, category: str) -> list[Bank]:
        return [b for b in self.banks if b.cnaps_category == category]


def load_directory(generated: Path | None = None, curated: Path | None = None) -> BankDirectory:
    """generated.csv overlaid by curated.csv: a non-empty curated cell wins, curated-only banks are added."""
    rows = _read(generated or BANKS_DIR / "generated.csv")
    for code, row in _read(curated or BANKS_DIR / "curated.csv").items():
        merged = dict(rows.get(code, {}))
        merged.update({k: v for k, v in row.items() if v and v.strip()})
        rows[code] = merged
    banks = []
    for code, row in rows.items():
        aliases = tuple(a for a in _split(row.get("aliases")) if a != row["name"])
        banks.append(
            Bank(
                code=code,
                name=row["name"].strip(),
                aliases=aliases,
                cnaps_category=(row.get("cnaps_category") or "").strip() or None,
                head_office_cnaps=(row.get("head_office_cnaps") or "").strip() or None,
                unionpay_prefixes=_split(row.get("unionpay_prefixes")),
                wechat_code=(row.get("wechat_code") or "").strip() or None,
            )
        )
    return BankDirectory(banks)


@cache
def default_directory() -> BankDirectory:
    """The shipped directory, loaded once per process."""
    return load_directory()
