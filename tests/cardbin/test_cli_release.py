"""`cardbin release …` end to end on a real DuckDB file: load an .xls, refuse a broken file, diff, activate."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.store import ReleaseStore
from tests.cardbin.builders import CITIES_JSON, DELTA_B, GWEESIN, cocolian_rows, write_csv, write_xls

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("CARDBIN_DB", str(path))
    return path


def test_load_list_diff_activate_rollback(db: Path, tmp_path: Path) -> None:
    table = write_xls(tmp_path / "2018年06月卡表.xls", cocolian_rows())
    args = ["release", "load", "--month", "2018-06", "--bin-table", str(table), "--cnaps-table", str(GWEESIN)]
    result = runner.invoke(app, [*args, "--cities", str(CITIES_JSON)])
    assert result.exit_code == 0, result.output
    assert "Release 2018-06 loaded (inactive)" in result.output and "branches" in result.output

    result = runner.invoke(app, ["release", "load", "--month", "2018-07", "--bin-changes", str(DELTA_B), "--json"])
    assert result.exit_code == 0, result.output
    envelope = msgspec.json.decode(result.stdout)
    assert (envelope["command"], envelope["outcome"], envelope["exit_code"]) == ("release load", "done", 0)
    payload = envelope["result"]
    assert payload["release"]["month"] == "2018-07" and envelope["report"]["accepted"] is True
    assert payload["base"] == "2018-06" and payload["carried"] == {
        "branches": "2018-06",
        "cities": "2018-06",
        "segments": "2018-06",
    }
    assert "622859/19" in payload["diff"]["bins"]["changed"]

    assert runner.invoke(app, ["release", "activate", "2018-06"]).exit_code == 0
    assert runner.invoke(app, ["release", "activate", "2018-07"]).exit_code == 0
    listed = msgspec.json.decode(runner.invoke(app, ["release", "list", "--json"]).stdout)["result"]
    assert [(r["month"], r["active"]) for r in listed] == [("2018-06", False), ("2018-07", True)]

    diff = runner.invoke(app, ["release", "diff", "2018-06", "2018-07", "--json"])
    assert msgspec.json.decode(diff.stdout)["result"]["bins"]["changed"] == payload["diff"]["bins"]["changed"]
    shown = runner.invoke(app, ["release", "diff"])
    assert "Changes from 2018-06 to 2018-07" in shown.output

    result = runner.invoke(app, ["release", "rollback"])
    assert result.exit_code == 0 and "2018-06" in result.output
    assert ReleaseStore(db).active_month() == "2018-06"
    result = runner.invoke(app, ["release", "rollback"])
    assert result.exit_code == 1 and "nothing to roll back" in result.output


def test_refused_load_prints_the_report_exits_non_zero_and_changes_nothing(db: Path, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", cocolian_rows()[:50], encoding="gbk")
    assert runner.invoke(app, ["release", "load", "--month", "2018-06", "--bin-table", str(good)]).exit_code == 0
    assert runner.invoke(app, ["release", "activate", "2018-06"]).exit_code == 0
    bad_row = ("工商银行", "01020000", "", "21", "622202xxxxxxxxxxxxxxx", "6", "622202", "借记卡")
    bad = write_csv(tmp_path / "bad.csv", [*cocolian_rows()[:5], bad_row], encoding="gbk")
    result = runner.invoke(app, ["release", "load", "--month", "2018-07", "--bin-table", str(bad), "--json"])
    assert result.exit_code == 1
    envelope = msgspec.json.decode(result.stdout)
    assert (envelope["outcome"], envelope["exit_code"], envelope["result"]) == ("refused", 1, None)
    assert "refused" in envelope["error"] and "store is unchanged" in envelope["error"]
    report = envelope["report"]
    assert report["accepted"] is False
    assert [(p["file"], p["row"], p["column"], p["value"], p["rule"]) for p in report["problems"]] == [
        ("bad.csv", 8, "pan_length", "21", "pan_length")
    ]
    text = runner.invoke(app, ["release", "load", "--month", "2018-07", "--bin-table", str(bad)])
    assert text.exit_code == 1 and "pan_length" in text.output and "refused" in text.output
    store = ReleaseStore(db)
    assert [r.month for r in store.list_releases()] == ["2018-06"] and store.active_month() == "2018-06"


def test_bad_arguments_name_what_is_wrong(db: Path, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "t.csv", cocolian_rows()[:5])
    result = runner.invoke(app, ["release", "load", "--month", "2018-13", "--bin-table", str(table)])
    assert result.exit_code == 2 and "month" in result.output and "YYYY-MM" in result.output
    assert runner.invoke(app, ["release", "load", "--month", "2018-06", "--bin-table", str(table)]).exit_code == 0
    result = runner.invoke(app, ["release", "activate", "2020-01"])
    assert result.exit_code == 1 and "2020-01" in result.output


def test_load_and_list_show_coverage(db: Path, tmp_path: Path) -> None:
    """Coverage is measured on load, printed (text and --json), stored, and listed without rebuilding."""
    table = write_xls(tmp_path / "2018年06月卡表.xls", cocolian_rows())
    args = ["release", "load", "--month", "2018-06", "--bin-table", str(table), "--cnaps-table", str(GWEESIN)]
    result = runner.invoke(app, [*args, "--cities", str(CITIES_JSON), "--json"])
    assert result.exit_code == 0, result.output
    coverage = msgspec.json.decode(result.stdout)["result"]["coverage"]
    assert coverage["bins"] == sum(coverage["region"].values()) == sum(coverage["cnaps"].values()) > 4000
    assert 0 < coverage["bank"] <= coverage["bins"] and coverage["country"] == coverage["region"]["overseas"] > 0
    assert (coverage["cnaps_not_in_release"], coverage["cnaps_other_bank"]) == (0, 0)
    listed = msgspec.json.decode(runner.invoke(app, ["release", "list", "--json"]).stdout)["result"]
    assert listed[0]["coverage"] == coverage

    text = runner.invoke(app, ["release", "load", "--month", "2018-07", "--bin-changes", str(DELTA_B)])
    assert text.exit_code == 0, text.output
    assert "Coverage of" in text.output and "bank identity" in text.output and "city_branch" in text.output
    shown = runner.invoke(app, ["release", "list"])
    assert shown.exit_code == 0 and "联行号" in shown.output and "%" in shown.output


def test_list_reads_a_store_written_before_coverage(db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE releases (month VARCHAR PRIMARY KEY, loaded_at VARCHAR NOT NULL, "
            "sources VARCHAR NOT NULL, counts VARCHAR NOT NULL)"
        )
        con.execute("INSERT INTO releases VALUES ('2018-06', '2018-06-10T00:00:00+00:00', '[]', '{\"bins\": 1}')")
        con.execute(
            "CREATE TABLE activations (seq INTEGER PRIMARY KEY, month VARCHAR NOT NULL, "
            "activated_at VARCHAR NOT NULL, rolled_back BOOLEAN NOT NULL)"
        )
    [old] = ReleaseStore(db).list_releases()
    assert (old.month, old.coverage) == ("2018-06", None)
    assert runner.invoke(app, ["release", "list"]).exit_code == 0


def test_a_store_written_before_the_source_columns_reads_them_as_null(db: Path, tmp_path: Path) -> None:
    import duckdb

    table = write_csv(tmp_path / "t.csv", cocolian_rows()[:20])
    assert runner.invoke(app, ["release", "load", "--month", "2018-06", "--bin-table", str(table)]).exit_code == 0
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE bins DROP COLUMN source")
    assert ReleaseStore(db).read_release("2018-06").bins["source"].null_count() == 20
    assert {row.source for row in ReleaseStore(db).read_rows("2018-06").bins} == {None}
    assert runner.invoke(app, ["release", "load", "--month", "2018-07", "--bin-table", str(table)]).exit_code == 0
    assert ReleaseStore(db).read_release("2018-07").bins.height == 20  # the next write adds the column back
