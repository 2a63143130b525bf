"""Validation rules: exact reports on broken files, the real tables' known quirks, the check digit."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import polars as pl
from rich.console import Console

from cardbin import cnaps
from cardbin.pan import mask
from cardbin.sources import read_bin_changes, read_bin_table, read_cities, read_cnaps_table
from cardbin.validate import Options, Report, check_bins, check_branches, check_cities, print_report
from cardbin.validate.checkdigit import check_digit_expr
from tests.cardbin.builders import (
    BOC_SAMPLE,
    CITY_TSV,
    DELTA_A,
    DELTA_B,
    GWEESIN,
    RESOURCES,
    cocolian_rows,
    write_csv,
)

NO_CITIES = pl.Series("city_code", [], dtype=pl.String)


def _keys(problems: list) -> set[tuple[object, ...]]:
    return {(p.file, p.row, p.column, p.value, p.rule, p.severity) for p in problems}


def test_vectorised_check_digit_agrees_with_the_reference_on_real_and_random_codes() -> None:
    real = (
        read_cnaps_table(BOC_SAMPLE).frame["cnaps_code"].to_list()
        + read_cnaps_table(GWEESIN).frame["cnaps_code"].to_list()
    )
    rng = random.Random(7)
    codes = real + ["".join(rng.choice("0123456789") for _ in range(11)) + "0" for _ in range(5000)]
    got = pl.DataFrame({"c": codes}).select(check_digit_expr(pl.col("c")).alias("d"))["d"].to_list()
    assert got == [cnaps.check_digit(c[:11]) for c in codes]
    assert all(cnaps.is_valid(c) for c in real)


def test_broken_bin_table_gets_the_exact_report(tmp_path: Path) -> None:
    good = ["工商银行", "01020000", "E时代卡", "19", "622202xxxxxxxxxxxxx", "6", "622202", "借记卡"]
    rows = [
        good,
        ["工商银行", "01020000", "--", "19", "xxxxxxxxxxxxxxxxxxx", "6", "622202", "借记卡"],  # no fixed digits
        ["农业银行", "01030000", "", "25", "622848xxxxxxxxxxxxxxxxxxx", "6", "622848", "借记卡"],  # PAN length
        ["建设银行", "01050000", "龙卡", "16", "436742xxxxxxxxxx", "6", "436742", "信用卡"],  # unknown 卡种
        ["", "01040000", "", "16", "456351xxxxxxxxxx", "6", "456351", "借记卡"],  # empty name
        good,  # exact repeat
        ["昆明农联社", "14733000", "", "18", "018572xxxxxxxxxxxx", "6", "18572", "借记卡"],  # lost zero
    ]
    staged = read_bin_table(write_csv(tmp_path / "broken.csv", rows, encoding="gbk", newline="\r\n"))
    report = Report(problems=check_bins(staged))
    assert _keys(report.problems) == {
        ("broken.csv", 4, "bin", None, "bin_digits", "fatal"),
        ("broken.csv", 5, "pan_length", "25", "pan_length", "fatal"),
        ("broken.csv", 4, "declared_bin", "622202", "declared_bin_not_prefix", "warning"),
        ("broken.csv", 6, "card_type", "信用卡", "card_type", "fatal"),
        ("broken.csv", 7, "issuer_name", None, "empty_name", "fatal"),
        ("broken.csv", 8, "bin", "622202", "duplicate_row", "warning"),
        ("broken.csv", 9, "declared_bin", "18572", "declared_bin_not_prefix", "warning"),
        ("broken.csv", 9, "declared_bin_length", "6", "declared_bin_length", "warning"),
    }
    assert (report.fatal, report.warnings, report.accepted) == (4, 4, False)


def test_real_unionpay_table_has_only_its_documented_quirks_as_warnings(tmp_path: Path) -> None:
    report = Report(problems=check_bins(read_bin_table(write_csv(tmp_path / "t.csv", cocolian_rows()))))
    counts = {rule: n for rule, _, n in report.by_rule()}
    assert report.accepted
    # SOURCES.md §1: 16 rows whose 主账号 does not start with 发卡行标识取值, 3 with a length that disagrees.
    assert counts["declared_bin_not_prefix"] == 16 and counts["declared_bin_length"] == 3
    assert counts["ambiguous_issuer"] > 0 and counts["duplicate_row"] > 0


def test_change_lists_validate_and_bad_flags_or_offsets_are_fatal(tmp_path: Path) -> None:
    assert check_bins(read_bin_changes(DELTA_A)) == [] and check_bins(read_bin_changes(DELTA_B)) == []
    line = "宽甸百丰村镇银行,16952264,--,ATM/POS,2,2,37,,,,2,19,{pan},2,08,62706401,2,借记卡,{flag}"
    path = tmp_path / "delta.txt"
    path.write_text("\r\n".join([line.format(pan=2, flag="X"), line.format(pan=4, flag="U")]) + "\r\n", encoding="gbk")
    assert _keys(check_bins(read_bin_changes(path))) == {
        ("delta.txt", 1, "change", "X", "change_flag", "fatal"),
        ("delta.txt", 2, "bin_offset", "2", "bin_not_pan_prefix", "fatal"),
    }


def test_cnaps_rules_and_configurable_check_digit_severity(tmp_path: Path) -> None:
    header = ["行号", "行名", "清算行号", "城市代码"]
    rows = [
        ["104100000004", "中国银行", "104100000004", "1000"],
        ["104100000005", "中国银行总行营业部", "104100000004", "1000"],  # check digit should be 4/…
        ["10410000004", "短行号", "104100000004", "1000"],
        ["104175707030", "", "104100000004", "17500"],
        ["104100000045", "中国银行总行营业部", "104100000004", "9999"],
        ["104100000045", "另一个名字", "104100000004", "9999"],
    ]
    staged = read_cnaps_table(write_csv(tmp_path / "cnaps.csv", rows, header=header, title=None))
    cities = pl.Series("city_code", ["1000", "1750"])
    expected = {
        # 12 digits failing the check digit may be a card number: masked like every such run (row 3 finds it).
        ("cnaps.csv", 3, "cnaps_code", "104100**0005", "cnaps_check_digit", "fatal"),
        ("cnaps.csv", 4, "cnaps_code", "10410000004", "cnaps_format", "fatal"),
        ("cnaps.csv", 5, "name", None, "empty_name", "fatal"),
        ("cnaps.csv", 5, "city_code", "17500", "city_code", "fatal"),
        ("cnaps.csv", 6, "cnaps_code", "104100000045", "conflicting_cnaps", "fatal"),
        ("cnaps.csv", 7, "cnaps_code", "104100000045", "conflicting_cnaps", "fatal"),
        ("cnaps.csv", 6, "city_code", "9999", "unknown_city", "warning"),
        ("cnaps.csv", 7, "city_code", "9999", "unknown_city", "warning"),
    }
    assert _keys(check_branches(staged, cities, Options())) == expected
    relaxed = _keys(check_branches(staged, cities, Options(check_digit="warning")))
    assert ("cnaps.csv", 3, "cnaps_code", "104100**0005", "cnaps_check_digit", "warning") in relaxed
    assert ("cnaps.csv", 3, "cnaps_code", "104100**0005", "cnaps_check_digit", "fatal") not in relaxed


def test_real_cnaps_files_pass_and_unknown_cities_are_warnings() -> None:
    cities = read_cities(CITY_TSV).frame["city_code"]
    boc = Report(problems=check_branches(read_cnaps_table(BOC_SAMPLE), cities, Options()))
    assert boc.accepted
    # SOURCES.md §2: BOC city codes 1650 and 1660 are missing from the 2017 city table.
    assert {p.value for p in boc.problems if p.rule == "unknown_city"} == {"1650", "1660"}
    assert check_branches(read_cnaps_table(GWEESIN), NO_CITIES, Options()) == []


def test_city_table_duplicates_are_warnings() -> None:
    problems = check_cities(read_cities(CITY_TSV))
    assert {(p.value, p.rule, p.severity) for p in problems} == {("6530", "duplicate_city", "warning")}
    assert (RESOURCES / "城市编码-20170511.txt").is_file()


def test_report_prints_with_rich_and_round_trips_as_json(tmp_path: Path) -> None:
    rows = [["工商银行", "01020000", "", "19", "622202xxxxxxxxxxxxx", "6", "622202", "信用卡"]]
    report = Report(problems=check_bins(read_bin_table(write_csv(tmp_path / "one.csv", rows))))
    decoded = msgspec.json.decode(msgspec.json.encode(report.summary()))
    assert decoded["accepted"] is False and decoded["fatal"] == 1
    assert decoded["problems"][0] | {"message": ""} == {
        "file": "one.csv",
        "row": 3,
        "column": "card_type",
        "value": "信用卡",
        "rule": "card_type",
        "severity": "fatal",
        "message": "",
    }
    console = Console(record=True, width=200)
    print_report(report, console)
    text = console.export_text()
    assert "card_type" in text and "信用卡" in text and "1 fatal" in text


def test_a_card_number_in_place_of_a_pattern_is_fatal_and_masked(tmp_path: Path) -> None:
    pan = "6222021234567890123"
    rows = [["工商银行", "01020000", "", "19", pan, "6", "622202", "借记卡"]]
    report = Report(problems=check_bins(read_bin_table(write_csv(tmp_path / "pan.csv", rows))))
    [fatal] = [p for p in report.problems if p.severity == "fatal"]
    assert (fatal.rule, fatal.value) == ("bin_too_long", mask(pan))
    assert pan not in msgspec.json.encode(report.summary()).decode()
