from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cardbin import cnaps
from cardbin.errors import InvalidCnapsCode


def _real_codes(raw_dir: Path, unlicensed_dir: Path) -> set[str]:
    codes: set[str] = set()
    with (unlicensed_dir / "yuechenlei-bankCodeManagement" / "canps.txt").open(encoding="utf-8") as f:
        codes.update(line.split(",")[0] for line in f if line.strip())
    with (unlicensed_dir / "cocolian-resources" / "超级网银号-20170511.txt").open(encoding="utf-8") as f:
        next(f)
        codes.update(line.split("\t")[1] for line in f if line.strip())
    with (raw_dir / "gweesin-cnaps" / "cnaps-sample.csv").open(encoding="utf-8") as f:
        codes.update(row["BankCode"] for row in csv.DictReader(f))
    return codes


def test_check_digit_holds_for_every_real_code(raw_dir: Path, unlicensed_dir: Path) -> None:
    codes = _real_codes(raw_dir, unlicensed_dir)
    assert len(codes) > 4000
    assert [c for c in codes if not cnaps.is_valid(c)] == []


def test_a_changed_digit_is_caught() -> None:
    assert cnaps.is_valid("102100099996")
    assert not cnaps.is_valid("102100099997")
    assert not cnaps.is_valid("102100089996")


@pytest.mark.parametrize(
    ("code", "rule"),
    [("10210009999", "must be 12 digits"), ("10210009999x", "must be 12 digits"), ("102100099990", "check digit is 0")],
)
def test_validate_names_the_rule(code: str, rule: str) -> None:
    with pytest.raises(InvalidCnapsCode, match=rule):
        cnaps.validate(code)


def test_parts() -> None:
    p = cnaps.parts("308584000013")
    assert (p.bank_category, p.city_code, p.sequence, p.check_digit) == ("308", "5840", "0001", "3")
