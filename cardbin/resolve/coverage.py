"""Coverage of a release: how many of its answers hold a bank, a region (by level), a country and a 联行号.

Counted over the answers the index holds for every BIN row (one per BIN and card length), exactly what a
lookup of a card of that row returns without a card-segment table. The two `cnaps_*` checks count answers that
break the 联行号 rule (a code the release's branch table lacks, or a branch of another bank); both must be 0.
"""

from __future__ import annotations

from collections import Counter

from cardbin.banks import BankDirectory, default_directory
from cardbin.model import BankCoverage, CardInfo, Coverage, UnmappedIssuer
from cardbin.release.schema import ReleaseData
from cardbin.resolve.index import ReleaseIndex


def index_coverage(index: ReleaseIndex) -> Coverage:
    infos = [hit.info for tables in index.exact_tables.values() for table in tables.values() for hit in table.values()]
    branches = index.branches.by_code
    not_in_release = other_bank = 0
    for info in infos:
        if info.cnaps_code is None:
            continue
        branch = branches.get(info.cnaps_code)
        if branch is None:
            not_in_release += 1
        elif branch.bank_code != info.bank_code:
            other_bank += 1
    unmapped = Counter(
        (row.record.issuer_name, row.record.issuer_code)
        for rows in index.rows_by_bin.values()
        for row in rows
        if row.bank is None or row.bank.code in index.unknown_banks
    )
    return Coverage(
        bins=len(infos),
        bank=sum(info.bank_code is not None for info in infos),
        region=dict(sorted(Counter(info.region_level for info in infos).items())),
        country=sum(info.country is not None for info in infos),
        cnaps=dict(sorted(Counter(info.cnaps_match for info in infos).items())),
        cnaps_not_in_release=not_in_release,
        cnaps_other_bank=other_bank,
        unmapped_issuers=[
            UnmappedIssuer(issuer_name=name, issuer_code=code, bins=count)
            for (name, code), count in sorted(unmapped.items(), key=lambda item: (-item[1], item[0][0]))
        ],
        by_bank=_by_bank(infos),
    )


def _by_bank(infos: list[CardInfo]) -> list[BankCoverage]:
    banks: dict[str, list[CardInfo]] = {}
    for info in infos:
        banks.setdefault(info.bank_code or "(no bank)", []).append(info)
    return [
        BankCoverage(
            bank=bank,
            bins=len(rows),
            region=dict(sorted(Counter(info.region_level for info in rows).items())),
            cnaps=dict(sorted(Counter(info.cnaps_match for info in rows).items())),
        )
        for bank, rows in sorted(banks.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


def release_coverage(release: ReleaseData, directory: BankDirectory | None = None) -> Coverage:
    """The coverage of a built release (indexes it once, as a server would)."""
    return index_coverage(ReleaseIndex.build(release.rows(), directory or default_directory()))
