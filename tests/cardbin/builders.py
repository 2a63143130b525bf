"""Test data shared by the cardbin tests: the real source files, tables written from them in every layout staff
send, releases built from them, and card numbers on their BINs. No tests here; each test module imports what it needs.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import random
import re
from functools import cache
from pathlib import Path

import polars as pl
import xlsxwriter
import xlwt

from cardbin import Resolver
from cardbin.banks import default_directory
from cardbin.pan import luhn_valid
from cardbin.release.build import stamp_bank_codes
from cardbin.release.schema import ReleaseData, conform
from tests.conftest import RAW, ROOT, UNLICENSED

# --- real source files and tables written from them --------------------------------------------------------------

COCOLIAN = UNLICENSED / "cocolian-data" / "data-cocolian_data.sql"
RESOURCES = UNLICENSED / "cocolian-resources"
DELTA_A = RESOURCES / "2018年07月10日版卡表（文本）.txt"
DELTA_B = RESOURCES / "2018年07月10日版跨行转帐卡表变更信息（文本）.txt"
CITY_TSV = RESOURCES / "城市编码-20170511.txt"
BOC_SAMPLE = UNLICENSED / "yuechenlei-bankCodeManagement" / "canps.txt"
GWEESIN = RAW / "gweesin-cnaps" / "cnaps-sample.csv"
CITIES_JSON = RAW / "gweesin-cnaps" / "cities.json"
AESPARK = RAW / "aespark" / "bankBIN.txt"
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
PAN = "6222021234567890128"  # the card of the hostile files (make_fixtures.py): never to be shown whole

UNIONPAY_HEADER = ["发卡行名称", "机构代码", "卡名", "主账号长度", "主账号", "发卡行标识长度", "发卡行标识取值", "卡种"]
DUMP_CARD_TYPES = {1: "借记卡", 2: "贷记卡", 3: "预付费卡"}
TITLE = "中国银联跨行交易卡表（2018年06月）"


@cache
def cocolian_rows() -> tuple[tuple[str, ...], ...]:
    """The 4,856-row UnionPay table of the MySQL dump, as rows under UNIONPAY_HEADER."""
    text = COCOLIAN.read_text(encoding="utf-8")
    match = re.search(r"insert\s+into\s+`cardbin_t`\((.*?)\)\s+values\s+(.*?);\s*$", text, re.S | re.M)
    assert match is not None
    names = [c.strip("`") for c in match.group(1).split(",")]
    out = []
    for values in ast.literal_eval("[" + match.group(2) + "]"):
        r = dict(zip(names, values, strict=True))
        out.append(
            (
                r["issuer_name"],
                r["issuer_code"],
                r["card_name"],
                str(r["account_length"]),
                r["account_no"],
                str(r["issuer_length"]),
                str(r["issuer_no"]),
                DUMP_CARD_TYPES[r["card_type"]],
            )
        )
    return tuple(out)


def write_csv(
    path: Path,
    rows: list[list[str]] | tuple[tuple[str, ...], ...],
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
    header: list[str] | None = None,
    title: str | None = TITLE,
    delimiter: str = ",",
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    if title:
        writer.writerow([title])
    writer.writerow(header or UNIONPAY_HEADER)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xls(path: Path, rows: tuple[tuple[str, ...], ...], header: list[str] | None = None) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("卡表")
    sheet.write(0, 0, TITLE)
    for r, values in enumerate([header or UNIONPAY_HEADER, *rows], start=2):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


def write_xlsx(
    path: Path, rows: tuple[tuple[str, ...], ...] | list[list[str]], header: list[str] | None = None
) -> Path:
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        sheet.write_string(0, 0, TITLE)
        for r, values in enumerate([header or UNIONPAY_HEADER, *rows], start=1):
            for c, value in enumerate(values):
                sheet.write_string(r, c, value)
    return path


# --- releases built from the real files --------------------------------------------------------------------------

# One tuple of the dump: issuer name, 机构代码, card name, 6 skipped, PAN length, fixed digits of the PAN pattern,
# 5 skipped, card type (1 debit, 2 credit, 3 prepaid).
_TUPLE = re.compile(r"\('([^']*)','(\d*)','([^']*)',(?:[^,]*,){6}(\d+),'(\d+)[^']*',(?:[^,]*,){5}(\d+),'[^']*'\)")
_TYPES = {"1": "debit", "2": "credit", "3": "prepaid"}


def gweesin_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Branches and cities from the MIT gweesin files, mapped to the canonical columns."""
    sample = pl.read_csv(GWEESIN, infer_schema=False)
    branches = sample.select(
        cnaps_code="BankCode",
        name="LName",
        bank_category=pl.col("BankCode").str.head(3),
        bank_name=pl.when(pl.col("BankName").str.contains(" ")).then(None).otherwise("BankName"),  # group labels
        clearing_code=pl.when(pl.col("BankId").str.starts_with("9999")).then(None).otherwise("BankId"),
        city_code="CityCode",
    )
    cities = pl.DataFrame(json.loads(CITIES_JSON.read_text(encoding="utf-8"))).select(
        city_code="CityCode", city="CityName", province="ProvinceName", province_code="ProvinceCode"
    )
    return conform("branches", branches), conform("cities", cities)


def superbank_branches() -> pl.DataFrame:
    """The 277 head offices of the 2017 super e-bank participant list (test input only); their city is the one
    the code names (digits 4–7), the list has no other."""
    path = RESOURCES / "超级网银号-20170511.txt"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    frame = pl.DataFrame(
        [(code, name.strip(), category, code[3:7]) for _, code, _, category, name in rows],
        schema=["cnaps_code", "name", "bank_category", "city_code"],
        orient="row",
    )
    return conform("branches", frame.unique("cnaps_code", keep="first", maintain_order=True))


@cache
def cocolian_release(segments: tuple[tuple[str, str], ...] = ()) -> ReleaseData:
    """The 2018 UnionPay table (4,856 rows, with 机构代码) stamped with bank codes as the loader does; branches:
    the gweesin CNAPS sample plus the super e-bank list's head offices."""
    rows = []
    for name, code, card_name, pan_length, bin_, kind in _TUPLE.findall(COCOLIAN.read_text(encoding="utf-8")):
        rows.append(
            {
                "bin": bin_,
                "pan_length": int(pan_length),
                "issuer_name": name,
                "issuer_code": code or None,
                "card_name": None if card_name in ("", "--") else card_name,
                "card_type": _TYPES[kind],
            }
        )
    branches, cities = gweesin_tables()
    head_offices = superbank_branches().join(branches.select("cnaps_code"), on="cnaps_code", how="anti")
    branches = pl.concat([branches, head_offices]).sort("cnaps_code")
    segment_frame = pl.DataFrame(list(segments), schema=["prefix", "city_code"], orient="row")
    return ReleaseData(
        month="2018-06",
        bins=conform("bins", stamp_bank_codes(pl.DataFrame(rows), default_directory(), None)),
        branches=branches,
        cities=cities,
        segments=conform("segments", segment_frame),
    )


@cache
def cocolian_resolver() -> Resolver:
    return Resolver.from_release(cocolian_release())


# --- card numbers on real BINs -----------------------------------------------------------------------------------


def card(prefix: str, length: int, *, valid: bool = True) -> str:
    """A card number of `length` starting with `prefix` whose Luhn check passes (or fails, if not `valid`)."""
    body = (prefix + "1234567890123456789")[: length - 1]
    for check in "0123456789":
        if luhn_valid(body + check) == valid:
            return body + check
    raise AssertionError("unreachable")


BAD = ["62220212345", "622202123456789012345", "6222O21234567890128", "", None, "1111111111111111"]


def sample_cards(resolver: Resolver, count: int, seed: int = 7) -> list[str]:
    """Cards on real BINs of every length, of the row's length and of other lengths, Luhn-valid or not."""
    rng = random.Random(seed)
    rows = [row.record for rows in resolver.index.rows_by_bin.values() for row in rows]
    cards = []
    for _ in range(count):
        record = rng.choice(rows)
        length = record.pan_length if rng.random() < 0.8 else rng.randint(max(12, len(record.bin) + 1), 19)
        cards.append(card(record.bin, length, valid=rng.random() < 0.9))
    return [*cards, card("6222020200", 19), card("436742", 19), card("018572", 18)]
