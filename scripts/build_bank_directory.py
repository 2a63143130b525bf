"""Regenerate data/banks/generated.csv from the MIT raw files in data/raw/.

Run: python scripts/build_bank_directory.py. Hand-kept facts live in data/banks/curated.csv, which this
script never touches.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
OUT = ROOT / "data" / "banks" / "generated.csv"
COLUMNS = ["code", "name", "aliases", "cnaps_category", "head_office_cnaps", "unionpay_prefixes", "wechat_code"]


# Categories shared by many banks, recognisable from the name alone (行别 314 / 320 / 402).
_NAME_CATEGORIES = (
    ("村镇银行", "320"),
    ("农村商业银行", "314"),
    ("农商银行", "314"),
    ("农村合作银行", "314"),
    ("信用社", "402"),
    ("信用合作", "402"),
    ("农信", "402"),
)


def _category_from_name(name: str) -> str:
    return next((cat for word, cat in _NAME_CATEGORIES if word in name), "")


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
    rows = []
    for code in sorted(names):
        name = names[code]
        known = {name, *aliases.get(code, ())}
        head = next((head_offices[n] for n in known if n in head_offices), "")
        rows.append(
            {
                "code": code,
                "name": name,
                "aliases": ";".join(sorted(aliases.get(code, ()))),
                "cnaps_category": head[:3] or _category_from_name(name),
                "head_office_cnaps": head,
                "unionpay_prefixes": "",
                "wechat_code": "",
            }
        )
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} banks to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
