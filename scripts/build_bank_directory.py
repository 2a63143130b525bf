"""Regenerate data/banks/generated.csv from the MIT raw files in data/raw/.

Codes and names from hexindai `name.csv` and aespark `bankSimple.txt`, head-office clearing codes from gweesin
`banks.json`, the CNAPS 行别 from those codes or the name (村镇银行 → 320 …), and a regional bank's seat from its
name and gweesin `cities.json` (`cardbin.banks.names.Places`, the same reading the index applies to banks the
directory does not know). Hand-kept facts live in data/banks/curated.csv and lineage.csv, which this script never
touches.

    .venv/bin/python scripts/build_bank_directory.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cardbin.banks.names import Places, category_from_name
from cardbin.model import City

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
OUT = ROOT / "data" / "banks" / "generated.csv"
COLUMNS = [
    "code",
    "name",
    "aliases",
    "cnaps_category",
    "head_office_cnaps",
    "unionpay_prefixes",
    "other_codes",
    "group",
    "seat_city_code",
    "seat_province",
]


def _places() -> Places:
    cities = json.loads((RAW / "gweesin-cnaps" / "cities.json").read_text(encoding="utf-8"))
    return Places(
        City(city_code=c["CityCode"], city=c["CityName"], province=c["ProvinceName"], province_code=c["ProvinceCode"])
        for c in cities
    )


def main() -> None:
    names: dict[str, str] = {}
    aliases: dict[str, set[str]] = {}
    with (RAW / "hexindai-bcbc" / "name.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("bank"):
                names[row["bank"].strip()] = row["name"].strip()
    with (RAW / "aespark" / "bankSimple.txt").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            code, name = row["银行简称"].strip(), row["银行名称"].strip()
            if not code:
                continue
            if code not in names:
                names[code] = name
            elif names[code] != name:
                aliases.setdefault(code, set()).add(name)
    head_offices: dict[str, str] = {}
    for entry in json.loads((RAW / "gweesin-cnaps" / "banks.json").read_text(encoding="utf-8")):
        bank_id, bank_name = entry["BankId"], entry["BankName"]
        if bank_id.startswith("9"):  # group placeholders (C 城市商业银行 …), not banks
            continue
        # gweesin prefixes some names with an index letter: "H 徽商银行".
        head_offices[bank_name.split(" ", 1)[-1]] = bank_id
    places = _places()
    rows = []
    for code in sorted(names):
        name = names[code]
        known = {name, *aliases.get(code, ())}
        head = next((head_offices[n] for n in known if n in head_offices), "")
        category = head[:3] or category_from_name(name) or ""
        seat = places.seat(name, category or None)
        rows.append(
            {
                "code": code,
                "name": name,
                "aliases": ";".join(sorted(aliases.get(code, ()))),
                "cnaps_category": category,
                "head_office_cnaps": head,
                "unionpay_prefixes": "",
                "other_codes": "",
                "group": "",
                "seat_city_code": (seat.city_code or "") if seat else "",
                "seat_province": seat.province if seat and not seat.city_code else "",
            }
        )
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} banks to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
