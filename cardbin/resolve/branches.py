"""The CNAPS branches of a release: by code, by bank and city, keyword search, and the 联行号 choice for a card.

The choice rule (documented because payouts depend on it), for a card's bank B and city C (or province P alone):

1. ``city_branch``: B's best *city-level* branch in C, else in C's prefecture when C is a county (7342 鲁甸县 →
   7340 昭通市);
2. ``head_office``: else B's head office when it is in the card's province (a regional bank's own seat);
3. ``province_branch``: else B's best city-level branch elsewhere in the province — the provincial branch
   proper (…河南省分行) first, then one in the capital (CNAPS numbers the capital first, so the lowest city code
   of the province), then the lowest city code; never for a card in B's own seat city (a branch of another
   city is not B at home);
4. ``head_office``: else B's head office anywhere;
5. ``none``: the bank is unknown, the card is overseas, or the release holds no head office of B.

Every 联行号 answered is a branch of the release. B's head office is, among B's branches: the directory's
``head_office_cnaps`` (the bundled release adds it to its branch table, source ``bank_directory``); else the
清算行号 most of B's branches name; else the branch named B itself, then …总行, then …总行营业部 or B营业部.

A branch is *city-level* when its name, less a trailing bracketed note, ends with 分行, 营业部 or 清算中心 and has
no 支行 in it (…海淀支行营业部 is a sub-branch), and the note does not say it is closed to the public (不对外,
不办…). Among several, the city's own branch (…北京市分行营业部, …深圳分行) wins, then the province's, then any
other 分行, then 营业部, then 清算中心; ties go to the shorter name, then the lower code.

A branch belongs to a bank by its 行别 when one bank alone has that 行别 and it is not shared; for shared 行别
(313, 314, 320, 323, 402) and banks without one, by name: the branch name starts with the bank's name or alias.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import msgspec

from cardbin import cnaps
from cardbin.banks.directory import SHARED_CATEGORIES, BankDirectory
from cardbin.banks.names import canonical_name
from cardbin.errors import UnknownBranch
from cardbin.model import Bank, Branch, City, CnapsMatch
from cardbin.release.rows import BranchRow

if TYPE_CHECKING:
    import polars as pl

_NOTE = re.compile(r"[（(][^（()）]*[)）]\s*$")
_CLOSED = ("不对外", "不办", "不转汇")
_LEVEL_SUFFIXES = ("分行营业部", "分行", "营业部", "清算中心")


@dataclass(frozen=True, slots=True)
class Choice:
    """The 联行号 chosen for a (bank, city), with how it was found."""

    branch_name: str | None
    cnaps_code: str | None
    cnaps_match: CnapsMatch


NO_CHOICE = Choice(None, None, "none")


_PLACE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "地区", "市", "省", "盟")


def _place_variants(name: str | None) -> tuple[str, ...]:
    """深圳市 → (深圳市, 深圳), 内蒙古自治区 → (内蒙古自治区, 内蒙古): branch names use either form."""
    if not name:
        return ()
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return (name, name[: -len(suffix)])
    return (name,)


def _level_rank(name: str, city: City | None) -> int | None:
    """Rank of a city-level branch (lower is better), or None when the branch is not one (see module doc)."""
    base = name.strip()
    note = _NOTE.search(base)
    if note is not None:
        if any(word in note.group() for word in _CLOSED):
            return None
        base = base[: note.start()].rstrip()
    if "支行" in base or not base.endswith(_LEVEL_SUFFIXES):
        return None
    if city is not None:
        for suffix in ("分行营业部", "分行"):
            if any(base.endswith(place + suffix) for place in _place_variants(city.city)):
                return 0
            if any(base.endswith(place + suffix) for place in _place_variants(city.province)):
                return 1
    if base.endswith(("分行营业部", "分行")):
        return 2
    return 3 if base.endswith("营业部") else 4


def _is_provincial(name: str, province: str | None) -> bool:
    return any(place + "分行" in name for place in _place_variants(province))


def _bank_of(directory: BankDirectory, category: str, name: str) -> Bank | None:
    """The directory bank of a branch (see module doc); a name match must not contradict the 行别."""
    if category not in SHARED_CATEGORIES:
        owners = directory.by_category(category)
        if len(owners) == 1:
            return owners[0]
    bank = directory.by_name(name)
    if bank is not None and bank.cnaps_category not in (None, category):
        return None
    return bank


def _head_office(bank: Bank, members: list[Branch]) -> Branch | None:
    """A bank's head office among its branches of the release (see module doc)."""
    by_code = {b.cnaps_code: b for b in members}
    if bank.head_office_cnaps in by_code:
        return by_code[bank.head_office_cnaps]
    clearing = Counter(b.clearing_code for b in members if b.clearing_code in by_code and b.clearing_code)
    if clearing:
        return by_code[min(clearing, key=lambda code: (-clearing[code], code))]
    names = {canonical_name(n) for n in (bank.name, *bank.aliases)}

    def rank(branch: Branch) -> int | None:
        name = canonical_name(_NOTE.sub("", branch.name))
        if name in names:
            return 0
        if name.endswith("总行"):
            return 1
        if name.endswith("总行营业部") or name in {n + "营业部" for n in names}:
            return 2
        return None

    ranked = [(r, len(b.name), b.cnaps_code) for b in members if (r := rank(b)) is not None]
    return by_code[min(ranked)[2]] if ranked else None


class BranchFacts(msgspec.Struct, frozen=True, array_like=True):
    """What indexing a release's branches computes: each branch's bank and city, the rank of each city-level
    branch of a known bank, each bank's head office. Kept with the bundled release's index facts."""

    branches: list[Branch]
    ranks: dict[str, int]  # 联行号 → rank among city-level branches (lower is better)
    head_offices: dict[str, str]  # bank code → 联行号 of its head office


def branch_facts(rows: Iterable[BranchRow], cities: Mapping[str, City], directory: BankDirectory) -> BranchFacts:
    """The facts of a release's canonical branch rows, the banks taken from `directory` (see module doc)."""
    by_code: dict[str, Branch] = {}
    ranks: dict[str, int] = {}
    owned: dict[str, list[Branch]] = defaultdict(list)
    for row in rows:
        bank = _bank_of(directory, row.bank_category, row.name)
        city = cities.get(row.city_code)
        branch = Branch(
            cnaps_code=row.cnaps_code,
            name=row.name,
            bank_category=row.bank_category,
            bank_code=bank.code if bank else None,
            bank_name=bank.name if bank else row.bank_name,
            clearing_code=row.clearing_code,
            city_code=row.city_code,
            city=city.city if city else None,
            province=city.province if city else None,
            source=row.source or "cnaps_table",
        )
        by_code[branch.cnaps_code] = branch
        if bank is not None:
            owned[bank.code].append(branch)
            rank = _level_rank(branch.name, city)
            if rank is not None:
                ranks[branch.cnaps_code] = rank
    head_offices = {}
    for code, members in owned.items():
        bank = directory.by_code(code)
        head = _head_office(bank, members) if bank is not None else None
        if head is not None:
            head_offices[code] = head.cnaps_code
    return BranchFacts(list(by_code.values()), ranks, head_offices)


class BranchTable:
    """All branches of a release, grouped by bank and city for the 联行号 choice; assembled from BranchFacts."""

    def __init__(self, facts: BranchFacts, cities: Mapping[str, City]) -> None:
        self.facts = facts
        self._cities = cities
        capitals: dict[str, str] = {}
        for code, place in sorted(cities.items()):
            capitals.setdefault(place.province, code)
        self._capitals = capitals
        self.by_code: dict[str, Branch] = {b.cnaps_code: b for b in facts.branches}
        self._ranks = facts.ranks
        # (bank code, city code) → city-level branches, best first.
        self._levels: dict[tuple[str, str], list[Branch]] = defaultdict(list)
        for branch in facts.branches:
            if branch.bank_code is not None and branch.cnaps_code in facts.ranks:
                self._levels[(branch.bank_code, branch.city_code)].append(branch)
        for group in self._levels.values():
            group.sort(key=self._order)
        self._by_province: dict[tuple[str, str], list[Branch]] = defaultdict(list)
        for (bank_code, city_code), group in self._levels.items():
            if (where := cities.get(city_code)) is not None:
                self._by_province[(bank_code, where.province)].extend(group)
        self.head_offices = {bank: self.by_code[code] for bank, code in facts.head_offices.items()}
        self._choices: dict[tuple[str, str | None, str | None], Choice] = {}

    @classmethod
    def build(cls, rows: Iterable[BranchRow], cities: Mapping[str, City], directory: BankDirectory) -> BranchTable:
        return cls(branch_facts(rows, cities, directory), cities)

    def _order(self, branch: Branch) -> tuple[int, int, str]:
        return self._ranks[branch.cnaps_code], len(branch.name), branch.cnaps_code

    def branch(self, cnaps_code: str) -> Branch:
        code = cnaps.validate(cnaps_code.strip())
        found = self.by_code.get(code)
        if found is None:
            raise UnknownBranch("cnaps_code", code, "no branch of this release has this 联行号")
        return found

    def choose(self, bank: Bank | None, city_code: str | None, province: str | None = None) -> Choice:
        """The 联行号 for a card of `bank` in `city_code` (or just `province`) by the module doc's rule; memoised."""
        if bank is None:
            return NO_CHOICE
        key = (bank.code, city_code, province)
        found = self._choices.get(key)
        if found is None:
            found = self._choices[key] = self._choose(bank, city_code, province)
        return found

    def _prefecture(self, city_code: str | None) -> str | None:
        """The prefecture of a county code: CNAPS gives a prefecture xxx0 and its counties xxx1–xxx9 (7342 → 7340)."""
        if not city_code or city_code.endswith("0"):
            return None
        county, seat = self._cities.get(city_code), self._cities.get(city_code[:3] + "0")
        return seat.city_code if county and seat and seat.province == county.province else None

    def _choose(self, bank: Bank, city_code: str | None, province: str | None) -> Choice:
        city = self._cities.get(city_code) if city_code else None
        for code in (city_code, self._prefecture(city_code)):
            if code and (here := self._levels.get((bank.code, code))):
                return Choice(here[0].name, here[0].cnaps_code, "city_branch")
        province = city.province if city is not None else province
        head = self.head_offices.get(bank.code)
        if head is not None and province is not None and head.province == province:
            return Choice(head.name, head.cnaps_code, "head_office")
        at_home = bank.seat_city_code is not None and bank.seat_city_code in (city_code, self._prefecture(city_code))
        if province is not None and not at_home and (there := self._by_province.get((bank.code, province))):
            capital = self._capitals.get(province)
            best = min(
                there,
                key=lambda b: (
                    not _is_provincial(b.name, province),
                    b.city_code != capital,
                    b.city_code,
                    *self._order(b),
                ),
            )
            return Choice(best.name, best.cnaps_code, "province_branch")
        if head is not None:
            return Choice(head.name, head.cnaps_code, "head_office")
        return NO_CHOICE

    @cached_property
    def frame(self) -> pl.DataFrame:
        """One row per branch with a text column to match keywords against (name, bank, city, province); built
        at the first search, so a lookup never imports polars."""
        import polars as pl

        branches = list(self.by_code.values())
        return pl.DataFrame(
            {
                "cnaps_code": [b.cnaps_code for b in branches],
                "bank_code": [b.bank_code for b in branches],
                "city_code": [b.city_code for b in branches],
                "city": [b.city for b in branches],
                "text": [" ".join(filter(None, (b.name, b.bank_name, b.city, b.province))) for b in branches],
            },
            schema={
                "cnaps_code": pl.String,
                "bank_code": pl.String,
                "city_code": pl.String,
                "city": pl.String,
                "text": pl.String,
            },
        ).sort("cnaps_code")

    def search(self, bank: Bank | None, city: str | None, q: str | None, limit: int) -> list[Branch]:
        """Branches of `bank` in `city` (code or name) whose text holds every keyword of `q`, by code."""
        import polars as pl

        conditions: list[pl.Expr] = []
        if bank is not None:
            conditions.append(pl.col("bank_code") == bank.code)
        if city:
            city = city.strip()
            names = {*_place_variants(city), city + "市"}  # 邯郸 finds 邯郸市, not 邯郸县
            conditions.append((pl.col("city_code") == city) | pl.col("city").is_in(names))
        for word in (q or "").split():
            conditions.append(pl.col("text").str.contains(word, literal=True))
        frame = self.frame.filter(*conditions) if conditions else self.frame
        return [self.by_code[code] for code in frame.head(limit)["cnaps_code"]]
