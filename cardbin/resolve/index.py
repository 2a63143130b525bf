"""In-memory structures built once per release so a lookup is a few dict probes and one Struct copy.

For every card length n, ``exact_tables[n]`` maps BIN length → {BIN: hit} over the BIN rows whose PAN length is n,
and ``by_head[n]`` lists, per first six digits, the BIN lengths (6 or more) present under them, longest first, so
a lookup is usually two dict probes. Without a row of the card's length, the longest BIN of any length answers, with
``pan_length_valid=False``. A hit carries the finished CardInfo (bank, region, 联行号) but for the per-card fields.

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

import msgspec
import polars as pl

from cardbin.banks.directory import BankDirectory
from cardbin.banks.identity import identify
from cardbin.banks.names import Places
from cardbin.errors import UnknownBin
from cardbin.model import Alternative, Bank, BinRecord, CardInfo, CardType, City, RegionSource
from cardbin.release.schema import ReleaseData
from cardbin.resolve.branches import BranchTable
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
    """The hot-path view of one release (see module doc)."""

    def __init__(self, data: ReleaseData, directory: BankDirectory) -> None:
        self.release = data.month
        self.cities: dict[str, City] = {
            r["city_code"]: City(**r) for r in data.cities.unique("city_code", keep="first").iter_rows(named=True)
        }
        self.regions = Regions(self.cities)
        counts = data.bins.group_by("issuer_code", "issuer_name").len().iter_rows()
        issuers = identify(directory, {(code, name): n for code, name, n in counts}, Places(self.cities.values()))
        # The directory plus the banks only this release names: branches and /v1/banks know them too.
        self.directory = directory = directory.extended(issuers.derived.values())
        self.unknown_banks = frozenset(bank.code for bank in issuers.derived.values())
        self.branches = BranchTable(data.branches, self.cities, directory)
        self.rows_by_bin: dict[str, list[Row]] = defaultdict(list)
        seen: set[BinRecord] = set()
        for r in data.bins.iter_rows(named=True):
            record = BinRecord(**r)
            if record in seen:  # exact duplicate rows are one row, not an alternative of themselves
                continue
            seen.add(record)
            bank = directory.by_code(record.bank_code) if record.bank_code else None
            if bank is None:
                bank = issuers.bank(record.issuer_code, record.issuer_name)
            region = self.regions.of_issuer(record.issuer_code)
            if record.issuer_code is None:
                region = self.regions.of_seat(bank) or region
            self.rows_by_bin[record.bin].append(Row(record, bank, region))
        self.bin_lengths = sorted({len(b) for b in self.rows_by_bin}, reverse=True)
        # card length → BIN length → BIN → hit.
        self.exact_tables: dict[int, dict[int, dict[str, Hit]]] = {}
        for bin_, rows in self.rows_by_bin.items():
            for n in sorted({row.record.pan_length for row in rows}):
                fitting = [row for row in rows if row.record.pan_length == n]
                table = self.exact_tables.setdefault(n, {}).setdefault(len(bin_), {})
                table[bin_] = self._hit(fitting, n, pan_length_valid=True)
        # The probe structure: card length → first 6 digits → the BIN lengths (≥ 6) present under them, longest
        # first, with their {BIN: hit}; most cards need two dict probes. BINs shorter than 6 digits come after.
        self.by_head: dict[int, dict[str, list[tuple[int, dict[str, Hit]]]]] = {}
        self.short: dict[int, list[tuple[int, dict[str, Hit]]]] = {}
        for n, tables in self.exact_tables.items():
            heads = self.by_head.setdefault(n, {})
            for length, table in sorted(tables.items(), reverse=True):
                if length < HEAD:
                    self.short.setdefault(n, []).append((length, table))
                    continue
                for head in {bin_[:HEAD] for bin_ in table}:
                    heads.setdefault(head, []).append((length, table))
        self._fallback: dict[tuple[str, int], Hit] = {}
        self.segments: list[tuple[int, dict[str, str]]] = self._segment_tables(data.segments)

    @staticmethod
    def _segment_tables(segments: pl.DataFrame) -> list[tuple[int, dict[str, str]]]:
        tables: dict[int, dict[str, str]] = defaultdict(dict)
        for prefix, city_code in segments.select("prefix", "city_code").iter_rows():
            tables[len(prefix)][prefix] = city_code
        return sorted(tables.items(), reverse=True)

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
        """The hit for a normalised card number: longest BIN of the card's length, else longest BIN of any."""
        n = len(pan)
        heads = self.by_head.get(n)
        if heads is not None:
            for length, table in heads.get(pan[:HEAD], ()):
                hit = table.get(pan[:length])
                if hit is not None:
                    return hit
        for length, table in self.short.get(n, ()):
            found = table.get(pan[:length])
            if found is not None:
                return found
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
