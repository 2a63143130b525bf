"""The field coverage of lookups, on the bundled release and on the 2018 UnionPay table (test input only).

    .venv/bin/python scripts/coverage.py [--release bundled|unionpay|both]

One card per BIN row (BIN and card length), answered as `Resolver.lookup` answers it. Printed per release:

- domestic cards (not overseas) with a bank identity, and with one the bank directory knows;
- domestic cards with a province, of those whose 机构代码 or bank seat gives a region (city or province level);
- overseas cards (机构代码 naming an ISO 3166 country) with a country;
- cards with a 联行号 of their own bank, of the domestic cards whose bank has a head office in the release;
- 联行号 answered that the release lacks or that belong to another bank (both must be 0).

The `unionpay` release is the 2018 table of tests/fixtures/unlicensed with the gweesin CNAPS sample and the 2017
super e-bank head-office list as its branch table (see cocolian_release in tests/cardbin/builders.py).
"""

from __future__ import annotations

import argparse
from collections import Counter

from cardbin import Resolver
from cardbin.model import CardInfo
from cardbin.resolve.coverage import index_coverage


def _share(part: int, whole: int) -> str:
    return f"{part:5d} / {whole:5d} = {part / whole:6.1%}" if whole else "    – / 0"


def report(name: str, resolver: Resolver) -> None:
    index = resolver.index
    infos: list[CardInfo] = [h.info for t in index.exact_tables.values() for tb in t.values() for h in tb.values()]
    domestic = [i for i in infos if i.region_level != "overseas"]
    overseas = [i for i in infos if i.region_level == "overseas"]
    given = [i for i in domestic if i.region_level in ("city", "province")]
    with_head = [i for i in domestic if i.bank_code in index.branches.head_offices]
    own = [i for i in with_head if i.cnaps_code and index.branches.by_code[i.cnaps_code].bank_code == i.bank_code]
    coverage = index_coverage(index)
    print(f"== {name}: release {resolver.release}, {len(infos)} cards (one per BIN row)")
    identified = sum(bool(i.bank_code) for i in domestic)
    print(f"domestic cards with a bank identity        {_share(identified, len(domestic))}")
    known = sum(bool(i.bank_code) and i.bank_code not in index.unknown_banks for i in domestic)
    print(f"  … of a bank the directory knows          {_share(known, len(domestic))}")
    provinces = sum(bool(i.province) for i in domestic)
    print(f"domestic cards with a province             {_share(provinces, len(domestic))}")
    print(f"  … where 机构代码 or seat gives a region   {_share(sum(bool(i.province) for i in given), len(given))}")
    print(f"    by source: {dict(Counter(i.region_source for i in given))}")
    print(f"    domestic by level: {dict(Counter(i.region_level for i in domestic))}")
    print(f"overseas cards with a country              {_share(sum(bool(i.country) for i in overseas), len(overseas))}")
    print(f"联行号 of the card's bank (bank has a head office) {_share(len(own), len(with_head))}")
    print(f"    by match: {dict(Counter(i.cnaps_match for i in with_head))}")
    print(f"联行号 not in the release / of another bank  {coverage.cnaps_not_in_release} / {coverage.cnaps_other_bank}")
    print(f"issuers outside the directory: {len(coverage.unmapped_issuers)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", choices=["bundled", "unionpay", "both"], default="both")
    args = parser.parse_args()
    if args.release in ("bundled", "both"):
        report("bundled", Resolver.open())
    if args.release in ("unionpay", "both"):
        from tests.cardbin.builders import cocolian_resolver

        report("unionpay 2018", cocolian_resolver())


if __name__ == "__main__":
    main()
