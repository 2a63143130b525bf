"""What a monthly load builds on and what it refuses, on a real DuckDB file and the real 2018 tables.

No silent loss: every change list given is applied, tables not given are carried (and said), a table that
shrinks too much is refused, a load whose base moved while it was built is refused, months out of order name
their base.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import polars as pl
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.errors import LoadRefused, ReleaseError
from cardbin.release.build import Inputs
from cardbin.store import ReleaseStore
from cardbin.validate import Options
from tests.cardbin.builders import CITIES_JSON, DELTA_A, DELTA_B, GWEESIN, cocolian_rows, write_csv
from tests.cardbin.conftest import full_inputs

runner = CliRunner()


def _bins(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.rows(), key=str)


def test_several_change_lists_are_all_applied_in_the_order_given(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    store.load("2018-07", Inputs(bin_changes=(DELTA_A,)))
    store.load("2018-08", Inputs(bin_changes=(DELTA_B,)))
    info, built = store.load("2018-09", Inputs(bin_changes=(DELTA_A, DELTA_B)), base="2018-06")
    assert _bins(store.read_release("2018-09").bins) == _bins(store.read_release("2018-08").bins)
    assert [s.name for s in info.sources if s.kind == "bin_changes"] == [DELTA_A.name, DELTA_B.name]
    assert built.base == "2018-06"
    # Both lists' rows are there: 621356084 comes from A, 622859's new issuer from B.
    bins = built.release.bins
    assert bins.filter(pl.col("bin") == "621356084")["issuer_name"].to_list() == ["龙口中银富登南山村镇银行"]
    assert bins.filter(pl.col("bin") == "622859")["issuer_code"].to_list() == ["14505800"]


def test_the_cli_takes_bin_changes_more_than_once(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    args = ["release", "load", "--db", str(store.path), "--month", "2018-07", "--json"]
    result = runner.invoke(app, [*args, "--bin-changes", str(DELTA_A), "--bin-changes", str(DELTA_B)])
    assert result.exit_code == 0, result.output
    envelope = msgspec.json.decode(result.stdout)
    added = set(envelope["result"]["diff"]["bins"]["added"])
    assert "621356084/19" in added  # from A
    changed = envelope["result"]["diff"]["bins"]["changed"]
    assert "622859/19" in changed  # from B


def test_tables_not_given_are_carried_forward_and_said(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    result = runner.invoke(
        app, ["release", "load", "--db", str(store.path), "--month", "2018-07", "--bin-table", str(table_csv)]
    )
    assert result.exit_code == 0, result.output
    assert "Carried forward from 2018-06: branches (2,968), cities (2,170), segments (0)" in result.output
    counts = store.list_releases()[1].counts
    assert counts["branches"] == 2968 and counts["cities"] == 2170


def test_a_first_release_without_branches_or_cities_is_loaded_with_warnings(
    store: ReleaseStore, table_csv: Path
) -> None:
    _, built = store.load("2018-06", Inputs(bin_table=table_csv))
    rules = {(p.rule, p.severity) for p in built.report.problems}
    assert {("no_branches", "warning"), ("no_cities", "warning")} <= rules
    _, built = store.load("2018-07", Inputs(cnaps_table=GWEESIN, cities=CITIES_JSON))
    assert not {p.rule for p in built.report.problems} & {"no_branches", "no_cities"}


def test_a_table_that_shrinks_too_much_is_refused_unless_allowed(
    store: ReleaseStore, table_csv: Path, tmp_path: Path
) -> None:
    store.load("2018-06", full_inputs(table_csv))
    short = write_csv(tmp_path / "short.csv", cocolian_rows()[:298], encoding="gbk")
    with pytest.raises(LoadRefused) as refused:
        store.load("2018-07", Inputs(bin_table=short))
    [shrink] = [p for p in refused.value.report.problems if p.severity == "fatal"]
    assert (shrink.file, shrink.column, shrink.rule) == ("short.csv", "bins", "shrink")
    assert shrink.value is not None and shrink.value.endswith("→ 298") and "--allow-shrink" in shrink.message
    assert store.months() == ["2018-06"]
    _, built = store.load("2018-07", Inputs(bin_table=short), options=Options(allow_shrink=True))
    assert built.release.bins.height == 298
    assert [p.severity for p in built.report.problems if p.rule == "shrink"] == ["warning"]
    # A CNAPS table cut to half is the same story.
    half = tmp_path / "half.csv"
    pl.read_csv(GWEESIN, infer_schema=False).head(1400).write_csv(half)
    with pytest.raises(LoadRefused, match="1 fatal"):
        store.load("2018-08", Inputs(cnaps_table=half))


def test_a_change_list_whose_base_moved_while_it_was_built_is_refused(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    other = ReleaseStore(store.path)  # another data person, another process: same file

    def meanwhile(step: str) -> None:
        if step == "validate":  # the build holds no lock: another load stores 2018-07 now
            other.load("2018-07", Inputs(bin_changes=(DELTA_A,)))

    with pytest.raises(ReleaseError, match="changed while release 2018-08 was built") as refused:
        store.load("2018-08", Inputs(bin_changes=(DELTA_B,)), step=meanwhile)
    assert "built on 2018-06" in str(refused.value) and "now build on 2018-07" in str(refused.value)
    assert store.months() == ["2018-06", "2018-07"]
    info, built = store.load("2018-08", Inputs(bin_changes=(DELTA_B,)))  # loaded again: on 2018-07 now
    assert built.base == "2018-07" and info.month == "2018-08"


def test_months_out_of_order_name_their_base(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    store.load("2018-08", Inputs(bin_changes=(DELTA_B,)))
    with pytest.raises(ReleaseError, match=r"before the newest release 2018-08.*--base"):
        store.load("2018-07", Inputs(bin_changes=(DELTA_A,)))
    _, built = store.load("2018-07", Inputs(bin_changes=(DELTA_A,)), base="2018-06")
    assert built.base == "2018-06"
    with pytest.raises(ReleaseError, match="already exists"):
        store.load("2018-07", Inputs(bin_changes=(DELTA_A,)), base="2018-06")
    with pytest.raises(ReleaseError, match="not before"):
        store.load("2018-05", Inputs(bin_changes=(DELTA_A,)), base="2018-06")


def test_a_full_table_backfills_any_month_and_is_diffed_against_the_month_before(
    store: ReleaseStore, table_csv: Path, tmp_path: Path
) -> None:
    store.load("2018-08", full_inputs(table_csv))
    smaller = write_csv(tmp_path / "older.csv", cocolian_rows()[:4500], encoding="gbk")
    _, built = store.load("2018-06", Inputs(bin_table=smaller, cnaps_table=GWEESIN, cities=CITIES_JSON))
    assert built.base is None  # nothing before June
    _, built = store.load("2018-07", Inputs(bin_table=table_csv))
    assert built.base == "2018-06" and built.carried["branches"] == "2018-06"
    result = runner.invoke(app, ["release", "load", "--db", str(store.path), "--month", "2018-09", "--json",
                                 "--bin-table", str(smaller), "--allow-shrink"])  # fmt: skip
    envelope = msgspec.json.decode(result.stdout)
    assert envelope["result"]["base"] == "2018-08"
    assert envelope["result"]["diff"]["from_month"] == "2018-08" and envelope["result"]["diff"]["bins"]["removed"]
