"""Files as staff really have them and as an attacker writes them (tests/fixtures/hostile), through `release load`.

Each broken file is refused like any broken table: exit 1, a report naming file, row and rule (text and JSON),
no traceback, no full card number anywhere, nothing stored (not even an empty store file).
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.release.build import Inputs
from cardbin.store import ReleaseStore
from tests.cardbin.builders import HOSTILE, PAN

runner = CliRunner()


def _load(db: Path, *args: str) -> tuple[int, dict[str, object], str]:
    """(exit code, JSON envelope, text output) of the same load run twice, with and without --json."""
    command = ["release", "load", "--db", str(db), "--month", "2026-11", *args]
    as_json = runner.invoke(app, [*command, "--json"])
    text = runner.invoke(app, command, env={"COLUMNS": "250"})  # rich folds cells to the width
    assert as_json.exit_code == text.exit_code
    for output in (as_json.output, text.output):
        assert "Traceback" not in output and PAN not in output
    return as_json.exit_code, msgspec.json.decode(as_json.stdout), text.output


def _fatal(envelope: dict[str, object]) -> set[tuple[object, ...]]:
    report = envelope["report"]
    assert isinstance(report, dict)
    return {(p["file"], p["row"], p["column"], p["rule"]) for p in report["problems"] if p["severity"] == "fatal"}


@pytest.mark.parametrize(
    ("name", "row", "rule", "says"),
    [
        ("binary.csv", 3, "binary_file", "byte offset 8"),
        ("mixed-encoding.csv", 5, "mixed_encoding", "line 5 is UTF-8 but line 1 is not"),
        ("bom-then-gbk.csv", 4, "mixed_encoding", "line 4 is not"),
        ("undecodable.csv", 3, "encoding", "neither UTF-8 nor GB18030"),
        ("empty.csv", None, "empty_file", "empty file"),
        ("blank.csv", None, "empty_file", "empty file"),
        ("truncated.xlsx", None, "unreadable_file", "cannot read the workbook"),
    ],
)
def test_an_unreadable_file_is_refused_naming_file_row_and_rule(
    tmp_path: Path, name: str, row: int | None, rule: str, says: str
) -> None:
    db = tmp_path / "r.duckdb"
    code, envelope, text = _load(db, "--bin-table", str(HOSTILE / name))
    assert code == 1 and envelope["outcome"] == "refused"
    assert _fatal(envelope) == {(name, row, "", rule)}
    assert says in text and rule in text and "refused" in text and "store is unchanged" in text
    assert not db.exists()


def test_unreadable_files_are_all_reported_in_one_refusal(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, envelope, _ = _load(
        db,
        "--bin-table",
        str(HOSTILE / "binary.csv"),
        "--cities",
        str(HOSTILE / "cities-truncated.json"),
        "--cnaps-table",
        str(HOSTILE / "empty.csv"),
    )
    assert code == 1
    assert {(f, r) for f, _, _, r in _fatal(envelope)} == {
        ("binary.csv", "binary_file"),
        ("cities-truncated.json", "unreadable_file"),
        ("empty.csv", "empty_file"),
    }
    assert not db.exists()


def test_files_are_read_by_content_not_by_name(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path / "r.duckdb")
    for month, name in (("2026-10", "workbook-named.csv"), ("2026-11", "text-named.xls")):
        store.load(month, Inputs(bin_table=HOSTILE / name))
        assert store.read_release(month).bins["bin"].to_list() == ["621661", "621700", "622202", "622848"]


def test_card_numbers_in_any_column_are_masked_and_where_served_fatal(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, envelope, text = _load(db, "--bin-table", str(HOSTILE / "pan-in-columns.csv"))
    assert code == 1
    name = "pan-in-columns.csv"
    assert _fatal(envelope) == {
        (name, 7, "issuer_code", "personal_number"),  # 机构代码 is served: a PAN there would be answered
        (name, 8, "card_name", "personal_number"),  # full-width digits with spaces
        (name, 9, "issuer_name", "personal_number"),
        (name, 10, "card_type", "card_type"),
        (name, 11, "declared_bin_length", "declared_bin_length_range"),  # 19 digits: checked before any cast
        (name, 12, "declared_bin", "declared_bin_digits"),  # a letter O in 发卡行标识取值
    }
    report = envelope["report"]
    assert isinstance(report, dict)
    shown = {p["row"]: p["value"] for p in report["problems"] if p["severity"] == "fatal"}
    assert shown[7] == shown[10] == shown[11] == "622202*********0128"
    assert shown[8] == "牡丹卡622202*********0128" and shown[9] == "工商银行622202*********0128"
    assert "622202*********0128" in text
    assert not db.exists()


def test_card_numbers_in_a_cnaps_table_are_masked_and_fatal(tmp_path: Path) -> None:
    table = HOSTILE / "workbook-named.csv"
    code, envelope, _ = _load(
        tmp_path / "r.duckdb", "--bin-table", str(table), "--cnaps-table", str(HOSTILE / "cnaps-pan.csv")
    )
    assert code == 1
    report = envelope["report"]
    assert isinstance(report, dict)
    fatal = {(p["row"], p["column"], p["value"], p["rule"]) for p in report["problems"] if p["severity"] == "fatal"}
    assert fatal == {
        (3, "name", "中国工商银行北京新华支行 622202*********0128", "personal_number"),
        (4, "clearing_code", "622202*********0128", "clearing_code"),
        (4, "city_code", "622202*********0128", "city_code"),
    }
