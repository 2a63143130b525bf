"""Which bank issued each row of a BIN table: one identity for every issuer, from the table's own data.

UnionPay numbers institutions, not banks' names: the first four digits of the 机构代码 are one institution
(0102 ICBC, 0423 杭州银行 …), whatever its rows call it (工商银行, ICBC(USA) NA, 工行米兰). So, per prefix:

1. a prefix the directory curates (``unionpay_prefixes``) is that bank;
2. a *group* prefix — its rows name two or more 村镇银行 — belongs to a sponsor whose village banks are each a
   legal bank of their own: each issuer is its own bank, with the group brand its name shares with another
   bank of the prefix (睢宁中银富登村镇银行 → 中银富登);
3. else the bank most of the prefix's rows name (names, aliases and predecessors in the directory), for every
   row of the prefix;
4. else a bank the directory does not know, named by the prefix's most common issuer name.

Issuers without a 机构代码 (aespark-style tables) are matched by name, else are a bank of their own name.

A bank the directory does not know gets the code ``X`` + 8 base-32 characters of the SHA-256 of its canonical
name: the same bank gets the same code in every release and on every machine (no directory code has 9
characters starting with X; a test holds it so).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from cardbin.banks.directory import BankDirectory
from cardbin.banks.names import Places, canonical_name, category_from_name
from cardbin.model import Bank

VILLAGE = "村镇银行"
DERIVED_PREFIX = "X"

Issuer = tuple[str | None, str]  # (机构代码, issuer name as printed)


def derived_code(name: str) -> str:
    """The stable code of a bank the directory does not know (see module doc)."""
    digest = hashlib.sha256(canonical_name(name).encode("utf-8")).digest()
    return DERIVED_PREFIX + base64.b32encode(digest).decode("ascii")[:8]


def _brands(names: set[str]) -> list[str]:
    """Brands of a group prefix: name endings (2–4 characters before 村镇银行) that two or more banks share, the
    most shared first, then the longest (中银富登 over 富登, both in every name; 长江 over 安长江, in two)."""
    counts: Counter[str] = Counter()
    for name in names:
        stem = name[: name.index(VILLAGE)]
        counts.update({stem[-n:] for n in range(2, 5) if len(stem) > n})
    return sorted((b for b, n in counts.items() if n >= 2), key=lambda b: (-counts[b], -len(b), b))


@dataclass
class Issuers:
    """The bank of every issuer of one table, and the banks among them the directory does not know."""

    directory: BankDirectory
    places: Places | None = None
    banks: dict[Issuer, Bank] = field(default_factory=dict)
    derived: dict[str, Bank] = field(default_factory=dict)  # canonical name → bank

    def bank(self, issuer_code: str | None, issuer_name: str) -> Bank | None:
        return self.banks.get((issuer_code, issuer_name))

    def _own(self, name: str, group: str | None = None) -> Bank:
        """The directory's bank of this name, else a bank of its own (seat read from the name when possible)."""
        named = self.directory.by_name(name)
        if named is not None:
            return named
        canonical = canonical_name(name)
        bank = self.derived.get(canonical)
        if bank is None:
            category = category_from_name(canonical)
            seat = self.places.seat(canonical, category) if self.places is not None else None
            bank = self.derived[canonical] = Bank(
                code=derived_code(canonical),
                name=canonical,
                cnaps_category=category,
                group=group,
                seat_city_code=seat.city_code if seat else None,
                seat_province=seat.province if seat and seat.city_code is None else None,
            )
        return bank

    def _prefix(self, prefix: str, issuers: Mapping[Issuer, int]) -> None:
        curated = self.directory.by_unionpay_prefix(prefix)
        if curated is not None:
            self.banks.update(dict.fromkeys(issuers, curated))
            return
        villages = {n for _, name in issuers if VILLAGE in (n := canonical_name(name))}
        if len(villages) >= 2:
            brands = _brands(villages)
            for issuer in issuers:
                name = canonical_name(issuer[1])
                group = next((b for b in brands if b + VILLAGE in name), None) if VILLAGE in name else None
                self.banks[issuer] = self._own(issuer[1], group)
            return
        named: Counter[str] = Counter()
        by_code: dict[str, Bank] = {}
        for (_, name), rows in issuers.items():
            bank = self.directory.by_name(name)
            if bank is not None:
                named[bank.code] += rows
                by_code[bank.code] = bank
        if named:
            bank = by_code[min(named, key=lambda code: (-named[code], code))]
        else:
            top = min(issuers, key=lambda i: (-issuers[i], len(canonical_name(i[1])), i[1]))
            bank = self._own(top[1])
        self.banks.update(dict.fromkeys(issuers, bank))


def identify(directory: BankDirectory, issuers: Mapping[Issuer, int], places: Places | None = None) -> Issuers:
    """The bank of every (机构代码, issuer name) of a table, given how many rows each has (see module doc)."""
    found = Issuers(directory, places)
    by_prefix: dict[str, dict[Issuer, int]] = defaultdict(dict)
    for issuer, rows in issuers.items():
        code, name = issuer
        if code:
            by_prefix[code[:4]][issuer] = rows
        else:
            found.banks[issuer] = found._own(name)
    for prefix, members in sorted(by_prefix.items()):
        found._prefix(prefix, members)
    return found
