"""`cardbin lookup`, `branches` and `enrich` run as a user runs them, on the bundled release."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.store import ReleaseStore
from tests.cardbin.builders import cocolian_release

runner = CliRunner()
README_CARD = "6222021234567890128"


def test_readme_lookup_prints_a_readable_result_without_the_pan() -> None:
    result = runner.invoke(app, ["lookup", README_CARD])
    assert result.exit_code == 0, result.output
    assert "中国工商银行" in result.output and "ICBC" in result.output and "102100099996" in result.output
    assert "622202*********0128" in result.output and README_CARD not in result.output


def _envelope(*args: str) -> tuple[int, dict[str, Any]]:
    """(exit code, envelope) of a `--json` command: one JSON document on stdout, nothing on stderr."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.stderr == "", result.stderr
    envelope = json.loads(result.stdout)
    assert set(envelope) == {"command", "outcome", "exit_code", "error", "result", "report"}  # as `release …`
    assert envelope["exit_code"] == result.exit_code and envelope["report"] is None
    return result.exit_code, envelope


def test_lookup_json() -> None:
    code, envelope = _envelope("lookup", "6222 0212 3456 7890 128")
    assert (code, envelope["command"], envelope["outcome"], envelope["error"]) == (0, "lookup", "done", None)
    info = envelope["result"]
    assert (info["bank_code"], info["cnaps_match"], info["card_number_masked"]) == (
        "ICBC",
        "head_office",
        "622202*********0128",
    )


@pytest.mark.parametrize(
    ("args", "code", "outcome", "says"),
    [
        (["lookup", "1111111111111111"], 1, "refused", "111111******1111"),  # no BIN of the release
        (["lookup", "62220212345678901234"], 2, "usage", "20 digits"),  # malformed card number
        (["lookup"], 2, "usage", "CARD"),  # click's own usage error
        (["lookup", README_CARD, "--release", "2019-01"], 1, "refused", "bundled"),  # no such release
        (["lookup", README_CARD, "--db", "typo.duckdb"], 1, "refused", "no such release store"),
        (["branches", "--bank", "没有这个银行"], 2, "usage", "bank"),
        (["branches", "--limit", "0"], 2, "usage", "limit"),
    ],
)
def test_every_json_outcome_is_one_envelope(args: list[str], code: int, outcome: str, says: str) -> None:
    got, envelope = _envelope(*args)
    assert (got, envelope["command"], envelope["outcome"], envelope["result"]) == (code, args[0], outcome, None)
    assert says in envelope["error"]
    assert "1111111111111111" not in envelope["error"] and "62220212345678901234" not in envelope["error"]


def test_lookup_errors_are_masked_with_distinct_exit_codes() -> None:
    bad = runner.invoke(app, ["lookup", "62220212345678901234"])
    assert bad.exit_code == 2 and "20 digits" in bad.output and "62220212345678901234" not in bad.output
    unknown = runner.invoke(app, ["lookup", "1111111111111111"])
    assert unknown.exit_code == 1 and "111111******1111" in unknown.output and "1111111111111111" not in unknown.output


def test_branches_table_and_json() -> None:
    code, envelope = _envelope("branches", "--bank", "ICBC", "--q", "北京 清算中心")
    assert (code, envelope["command"], envelope["outcome"]) == (0, "branches", "done")
    assert [b["cnaps_code"] for b in envelope["result"]] == ["102100009980"]
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
    code, envelope = _envelope("lookup", "6223092900123456789", "--db", str(store.path))
    info = envelope["result"]
    assert (code, info["release"], info["city"], info["card_name"]) == (0, "2018-06", "上海市", "商卡")
