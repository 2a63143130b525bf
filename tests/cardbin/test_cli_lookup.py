"""`cardbin lookup`, `branches` and `enrich` run as a user runs them, on the bundled release."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.store import ReleaseStore
from tests.cardbin.test_resolve import cocolian_release

runner = CliRunner()
README_CARD = "6222021234567890128"


def test_readme_lookup_prints_a_readable_result_without_the_pan() -> None:
    result = runner.invoke(app, ["lookup", README_CARD])
    assert result.exit_code == 0, result.output
    assert "中国工商银行" in result.output and "ICBC" in result.output and "102100099996" in result.output
    assert "622202*********0128" in result.output and README_CARD not in result.output


def test_lookup_json() -> None:
    result = runner.invoke(app, ["lookup", "6222 0212 3456 7890 128", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert (info["bank_code"], info["cnaps_match"], info["card_number_masked"]) == (
        "ICBC",
        "head_office",
        "622202*********0128",
    )


def test_lookup_errors_are_masked_with_distinct_exit_codes() -> None:
    bad = runner.invoke(app, ["lookup", "62220212345678901234"])
    assert bad.exit_code == 2 and "20 digits" in bad.output and "62220212345678901234" not in bad.output
    unknown = runner.invoke(app, ["lookup", "1111111111111111"])
    assert unknown.exit_code == 1 and "111111******1111" in unknown.output and "1111111111111111" not in unknown.output


def test_branches_table_and_json() -> None:
    result = runner.invoke(app, ["branches", "--bank", "ICBC", "--q", "北京 清算中心", "--json"])
    assert result.exit_code == 0, result.output
    assert [b["cnaps_code"] for b in json.loads(result.output)] == ["102100009980"]
    table = runner.invoke(app, ["branches", "--bank", "ABC", "--city", "邯郸", "--limit", "2"])
    assert table.exit_code == 0 and "2 branch(es)" in table.output and "103127" in table.output
    unknown = runner.invoke(app, ["branches", "--bank", "没有这个银行"])
    assert unknown.exit_code == 2 and "bank" in unknown.output


def test_enrich_command(tmp_path: Path) -> None:
    source, target = tmp_path / "cards.csv", tmp_path / "out.parquet"
    pl.DataFrame({"pan": [README_CARD, "oops"]}).write_csv(source)
    result = runner.invoke(app, ["enrich", str(source), str(target), "--column", "pan"])
    assert result.exit_code == 0, result.output
    assert "1 resolved, 1 with an error" in result.output
    out = pl.read_parquet(target)
    assert out["bank_code"].to_list() == ["ICBC", None] and out["error"][1].startswith("pan=")
    missing = runner.invoke(app, ["enrich", str(source), str(target)])
    assert missing.exit_code == 2 and "card_number" in missing.output


def test_lookup_on_a_store(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path / "cardbin.duckdb")
    store.save(cocolian_release())
    store.activate("2018-06")
    result = runner.invoke(app, ["lookup", "6223092900123456789", "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert (info["release"], info["city"], info["card_name"]) == ("2018-06", "上海市", "商卡")
