"""In-memory structures assembled once per release so a lookup is a dict probe or two and one Struct copy.

What is slow to work out (banks, regions, branches: `cardbin.resolve.facts`) comes in as IndexFacts; the answers
are computed here, once per (BIN, card length), unless the facts carry them (the bundled release's do).

For every card length n, ``exact_tables[n]`` maps BIN length → {BIN: hit} over the BIN rows whose PAN length is n;
a 6-digit BIN that no longer BIN extends is found with one probe of its first six digits, else ``by_head[n]``
lists, per first six digits, the BIN lengths (6 or more) present under them, longest first. Without a row of the
card's length, the longest BIN of any length answers, with ``pan_length_valid=False``. A hit carries the finished,
shared CardInfo (bank, region, 联行号); a lookup copies it with the card's masked number and Luhn flag.

Best row among equal candidates (same BIN, same fit): the PAN length nearest the card's, then a row whose bank the
directory knows, then one with a 机构代码, then the bank-level issuer (机构代码 …0000: a branch-level row sharing the
bank's BIN is the narrower claim, e.g. 建行厦门分行 on CCB's 436742), then by 机构代码 and issuer name (so the
choice is stable); the other issuers are listed as ``alternatives``.

Region (see `cardbin.resolve.region`): what the 机构代码 gives, at its level; without a 机构代码, a regional bank's
seat; a card-segment table (card prefix → city code), when the release has one, refines a region the 机构代码 or
seat leaves open; else none, with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import msgspec

from cardbin.banks.directory import BankDirectory, default_directory
from cardbin.errors import UnknownBin
from cardbin.model import Alternative, Bank, BinRecord, CardInfo, CardType, City, RegionSource
from cardbin.pan import PAN_MAX_LENGTH, PAN_MIN_LENGTH
from cardbin.release.rows import ReleaseRows
from cardbin.resolve.branches import BranchTable
from cardbin.resolve.facts import IndexFacts, index_facts
from cardbin.resolve.region import NATIONAL, Region, Regions

HEAD = 6  # most BINs have 6 digits; longer ones are grouped under their first 6
_UNSET = ""  # card_number_masked of a template; every lookup replaces it
# A card-segment city refines these region sources (a seat is the bank's, a segment is the card's own).
SEGMENT_REFINES: frozenset[RegionSource] = frozenset({"none", "bank_seat"})


@dataclass(frozen=True, slots=True)
class Row:
    """One BIN row with its bank and the region its data gives."""

    record: BinRecord
    bank: Bank | None
    region: Region


@dataclass(slots=True)
class Hit:
    """The answer for a (BIN, card length): the CardInfo template, and per segment city the templates derived."""

    row: Row
    info: CardInfo
    by_segment: dict[str, CardInfo] = field(default_factory=dict)


def unknown_bin(field_name: str, masked: str, release: str) -> UnknownBin:
    """The one wording of "no BIN" for single and batch lookups (the value is already masked)."""
    return UnknownBin(field_name, masked, f"no BIN of release {release} is a prefix of it")


def _rank(row: Row, pan_length: int) -> tuple[int, bool, bool, bool, str, str]:
    r = row.record
    return (
        abs(r.pan_length - pan_length),
        row.bank is None,
        r.issuer_code is None,
        not (r.issuer_code or "").endswith(NATIONAL),
        r.issuer_code or "",
        r.issuer_name,
    )


def _alternative(row: Row) -> Alternative:
    r = row.record
    return Alternative(
        bin=r.bin,
        pan_length=r.pan_length,
        issuer_name=r.issuer_name,
        issuer_code=r.issuer_code,
        bank_code=r.bank_code,
        card_type=r.card_type,
    )


class ReleaseIndex:
    """The hot-path view of one release (see module doc), assembled from its IndexFacts."""

    def __init__(self, facts: IndexFacts, directory: BankDirectory | None = None) -> None:
        """`directory`: the bank directory the facts were computed against (None: the shipped one, read when first
        needed: a lookup does not need it)."""
        self.facts = facts
        self.release = facts.release
        self.cities: dict[str, City] = {city.city_code: city for city in facts.cities}
        self.regions = Regions(self.cities)
        self._directory = directory
        banks = {bank.code: bank for bank in facts.banks}
        self._derived = [banks[code] for code in facts.derived]
        self.unknown_banks = frozenset(facts.derived)
        self.branches = BranchTable(facts.branches, self.cities)
        self.rows = [Row(r.record, banks[r.bank] if r.bank else None, r.region) for r in facts.rows]
        self.rows_by_bin: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            self.rows_by_bin[row.record.bin].append(row)
        self.bin_lengths = sorted({len(b) for b in self.rows_by_bin}, reverse=True)
        # card length → BIN length → BIN → hit.
        self.exact_tables: dict[int, dict[int, dict[str, Hit]]] = {}
        if facts.answers is not None:
            for number, info in facts.answers:
                self._exact(info.pan_length, info.bin)[info.bin] = Hit(self.rows[number], info)
        else:
            for bin_, rows in self.rows_by_bin.items():
                for n in sorted({row.record.pan_length for row in rows}):
                    fitting = [row for row in rows if row.record.pan_length == n]
                    self._exact(n, bin_)[bin_] = self._hit(fitting, n, pan_length_valid=True)
        # The probe structure, per card length: the hit of each 6-digit BIN that no longer BIN extends (most cards:
        # one probe); else, per first 6 digits, the BIN lengths (≥ 6) present under them, longest first, with their
        # {BIN: hit}; BINs shorter than 6 digits after those.
        lengths = range(PAN_MIN_LENGTH, PAN_MAX_LENGTH + 1)
        self._direct: dict[int, dict[str, Hit]] = {n: {} for n in lengths}
        self.by_head: dict[int, dict[str, list[tuple[int, dict[str, Hit]]]]] = {n: {} for n in lengths}
        self.short: dict[int, list[tuple[int, dict[str, Hit]]]] = {}
        for n, tables in self.exact_tables.items():
            heads: dict[str, list[tuple[int, dict[str, Hit]]]] = defaultdict(list)
            for length, table in sorted(tables.items(), reverse=True):
                if length < HEAD:
                    self.short.setdefault(n, []).append((length, table))
                    continue
                for head in {bin_[:HEAD] for bin_ in table}:
                    heads[head].append((length, table))
            for head, probes in heads.items():
                if len(probes) == 1 and probes[0][0] == HEAD:
                    self._direct.setdefault(n, {})[head] = probes[0][1][head]
                else:
                    self.by_head.setdefault(n, {})[head] = probes
        self._fallback: dict[tuple[str, int], Hit] = {}
        segments: dict[int, dict[str, str]] = defaultdict(dict)
        for prefix, city_code in facts.segments:
            segments[len(prefix)][prefix] = city_code
        self.segments: list[tuple[int, dict[str, str]]] = sorted(segments.items(), reverse=True)

    @classmethod
    def build(cls, tables: ReleaseRows, directory: BankDirectory) -> ReleaseIndex:
        """Index a release's tables: compute its facts (the slow part), then assemble."""
        return cls(index_facts(tables, directory), directory)

    def _exact(self, pan_length: int, bin_: str) -> dict[str, Hit]:
        return self.exact_tables.setdefault(pan_length, {}).setdefault(len(bin_), {})

    @cached_property
    def directory(self) -> BankDirectory:
        """The bank directory plus the banks only this release names: branches and /v1/banks know them too."""
        return (self._directory or default_directory()).extended(self._derived)

    def snapshot(self) -> IndexFacts:
        """The facts with every exact answer, so assembling them again computes none (the bundled release ships
        them)."""
        numbers = {id(row): number for number, row in enumerate(self.rows)}
        answers = [
            (numbers[id(hit.row)], hit.info)
            for tables in self.exact_tables.values()
            for table in tables.values()
            for hit in table.values()
        ]
        return msgspec.structs.replace(self.facts, answers=answers)

    def _hit(self, rows: list[Row], pan_length: int, *, pan_length_valid: bool) -> Hit:
        ordered = sorted(rows, key=lambda row: _rank(row, pan_length))
        best = ordered[0]
        info = self._info(best, best.region, pan_length_valid)
        # Rows differing only in card name are one issuer: only other issuers (or types) are alternatives.
        alternatives = tuple(
            a for a in dict.fromkeys(_alternative(row) for row in ordered[1:]) if a != _alternative(best)
        )
        return Hit(best, msgspec.structs.replace(info, alternatives=alternatives))

    def _info(self, row: Row, region: Region, pan_length_valid: bool) -> CardInfo:
        r = row.record
        city = region.city
        # An overseas card is not paid through CNAPS: no domestic 联行号, even for a Chinese bank's branch abroad.
        bank = row.bank if region.level != "overseas" else None
        choice = self.branches.choose(bank, city.city_code if city else None, region.province)
        card_type: CardType = r.card_type
        return CardInfo(
            card_number_masked=_UNSET,
            bin=r.bin,
            bank_code=row.bank.code if row.bank else r.bank_code,
            bank_name=row.bank.name if row.bank else r.issuer_name,
            bank_group=row.bank.group if row.bank else None,
            issuer_name=r.issuer_name,
            issuer_code=r.issuer_code,
            card_name=r.card_name,
            card_type=card_type,
            pan_length=r.pan_length,
            pan_length_valid=pan_length_valid,
            luhn_valid=False,
            region_level=region.level,
            province=region.province,
            city=city.city if city else None,
            city_code=city.city_code if city else None,
            country=region.country,
            region_source=region.source,
            region_reason=region.reason,
            branch_name=choice.branch_name,
            cnaps_code=choice.cnaps_code,
            cnaps_match=choice.cnaps_match,
            alternatives=(),
            release=self.release,
        )

    def find(self, pan: str) -> Hit | None:
        """The hit for a normalised card number (12–19 digits): longest BIN of its length, else longest of any."""
        n = len(pan)
        head = pan[:HEAD]
        hit = self._direct[n].get(head)
        if hit is not None:
            return hit
        for length, table in self.by_head[n].get(head, ()):
            hit = table.get(pan[:length])
            if hit is not None:
                return hit
        for length, table in self.short.get(n, ()):
            hit = table.get(pan[:length])
            if hit is not None:
                return hit
        return self.fallback(pan)

    def fallback(self, pan: str) -> Hit | None:
        """Longest BIN whatever its PAN length, best row by nearest length (``pan_length_valid=False``)."""
        for length in self.bin_lengths:
            if pan[:length] in self.rows_by_bin:
                return self.hit_for(pan[:length], len(pan), exact=False)
        return None

    def hit_for(self, bin_: str, pan_length: int, *, exact: bool) -> Hit:
        """The hit of a BIN known to match a card of `pan_length` (exactly or as the fallback); memoised."""
        if exact:
            return self.exact_tables[pan_length][len(bin_)][bin_]
        key = (bin_, pan_length)
        hit = self._fallback.get(key)
        if hit is None:
            hit = self._fallback[key] = self._hit(self.rows_by_bin[bin_], pan_length, pan_length_valid=False)
        return hit

    def segment_city(self, pan: str) -> str | None:
        for length, table in self.segments:
            city_code = table.get(pan[:length])
            if city_code is not None:
                return city_code
        return None

    def with_segment(self, hit: Hit, city_code: str | None) -> CardInfo:
        """The hit's CardInfo, its region taken from the card-segment table when the 机构代码 gave no city."""
        if city_code is None or hit.info.region_source not in SEGMENT_REFINES:
            return hit.info
        info = hit.by_segment.get(city_code)
        if info is None:
            region = self.regions.of_city(city_code, "card_segment")
            if region is None:
                return hit.info
            info = self._info(hit.row, region, hit.info.pan_length_valid)
            info = hit.by_segment[city_code] = msgspec.structs.replace(info, alternatives=hit.info.alternatives)
        return info
