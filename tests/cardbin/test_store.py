"""The DuckDB release store on real files: load, refuse, crash, change lists, activate, roll back, diff, locks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cardbin.errors import LoadRefused, ReleaseError, ReleaseNotFound, StoreBusy, StoreUnavailable
from cardbin.release import schema as schema_module
from cardbin.release.build import Inputs
from cardbin.release.rows import COLUMNS
from cardbin.store import ReleaseStore, default_db_path
from cardbin.store.connection import connect
from tests.cardbin.builders import DELTA_A, DELTA_B, cocolian_rows, write_csv
from tests.cardbin.conftest import full_inputs

TABLES = ("bins", "branches", "cities", "segments")


def _rows_for(path: Path, month: str) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t} WHERE month = ?", [month]).fetchall()[0][0] for t in TABLES}
        counts["releases"] = con.execute("SELECT count(*) FROM releases WHERE month = ?", [month]).fetchall()[0][0]
    return counts


def test_a_missing_store_is_refused_and_never_created(store: ReleaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for read in (store.active_month, store.list_releases, store.read_release, store.read_rows, store.history):
        with pytest.raises(StoreUnavailable, match="no such release store"):
            read()
    with pytest.raises(StoreUnavailable, match="no such release store"):
        store.activate("2018-06")
    with pytest.raises(StoreUnavailable, match="no such release store"):
        store.rollback()
    assert list(store.path.parent.iterdir()) == []
    monkeypatch.setenv("CARDBIN_DB", str(store.path))
    assert default_db_path() == store.path
    monkeypatch.delenv("CARDBIN_DB")
    assert default_db_path() is None


def test_load_stores_an_inactive_release_that_reads_back_as_built(store: ReleaseStore, table_csv: Path) -> None:
    info, built = store.load("2018-06", full_inputs(table_csv))
    assert not info.active and store.active_month() is None
    assert info.counts == {"bins": built.release.bins.height, "branches": 2968, "cities": 2170, "segments": 0}
    assert {s.kind for s in info.sources} == {"bin_table", "cnaps_table", "cities"}
    back = store.read_release("2018-06")
    key = ["bin", "pan_length", "issuer_name", "issuer_code", "card_name"]
    assert back.bins.sort(key).equals(built.release.bins.sort(key))
    assert back.branches.equals(built.release.branches)
    assert store.read_rows("2018-06") == back.rows()  # what an index is built from, read without polars
    assert {table: tuple(columns) for table, columns in schema_module.TABLES.items()} == COLUMNS
    icbc = back.bins.filter(pl.col("bin") == "622202").row(0, named=True)
    assert (icbc["issuer_code"], icbc["bank_code"], icbc["card_type"]) == ("01020000", "ICBC", "debit")
    [listed] = store.list_releases()
    assert listed.month == "2018-06" and listed.sources == info.sources
    with pytest.raises(ReleaseError, match="already exists"):
        store.load("2018-06", full_inputs(table_csv))


def test_refused_load_stores_nothing_and_keeps_the_active_release(
    store: ReleaseStore, table_csv: Path, tmp_path: Path
) -> None:
    store.load("2018-06", full_inputs(table_csv))
    store.activate("2018-06")
    broken = write_csv(
        tmp_path / "broken.csv",
        [*cocolian_rows()[:10], ("工商银行", "01020000", "", "19", "622202x", "6", "622202", "信用卡")],
    )
    with pytest.raises(LoadRefused) as refused:
        store.load("2018-07", Inputs(bin_table=broken))
    assert [(p.row, p.rule) for p in refused.value.report.problems if p.severity == "fatal"] == [(13, "card_type")]
    assert store.active_month() == "2018-06"
    assert [r.month for r in store.list_releases()] == ["2018-06"]
    assert _rows_for(store.path, "2018-07") == dict.fromkeys((*TABLES, "releases"), 0)


def test_a_crash_mid_load_leaves_no_partial_release(
    store: ReleaseStore, table_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_conform = schema_module.conform

    def crash_on_segments(table: str, frame: pl.DataFrame) -> pl.DataFrame:
        if table == "segments":  # bins, branches and cities are already inserted by now
            raise RuntimeError("disk full")
        return real_conform(table, frame)

    monkeypatch.setattr(schema_module, "conform", crash_on_segments)
    with pytest.raises(RuntimeError, match="disk full"):
        store.load("2018-06", full_inputs(table_csv))
    # No store and no staging copy left behind (only the writer lock's empty sidecar file).
    assert {p.name for p in store.path.parent.iterdir()} == {table_csv.name, ".releases.duckdb.lock"}

    monkeypatch.setattr(schema_module, "conform", real_conform)
    store.load("2018-06", full_inputs(table_csv))
    store.activate("2018-06")
    before = store.path.read_bytes()
    monkeypatch.setattr(schema_module, "conform", crash_on_segments)
    with pytest.raises(RuntimeError, match="disk full"):
        store.load("2018-07", Inputs(bin_table=table_csv))
    assert store.path.read_bytes() == before  # byte for byte: the failed load wrote into a copy
    assert _rows_for(store.path, "2018-07") == dict.fromkeys((*TABLES, "releases"), 0)
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith((".loading", ".loading.wal"))]


def test_change_list_applies_to_the_previous_release(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    info, built = store.load("2018-07", Inputs(bin_changes=(DELTA_B,)))
    new = store.read_release("2018-07")
    # SOURCES.md §1: the 2018-07-10 list moves 622859 from 珠海农村商业银行 to 广东省农村信用社联合社.
    moved = new.bins.filter(pl.col("bin") == "622859")
    assert moved["issuer_code"].to_list() == ["14505800"]
    old = store.read_release("2018-06").bins.filter(pl.col("bin") == "622859")
    assert old["issuer_code"].to_list() == ["14315850"]
    assert new.branches.height == 2968 and new.cities.height == 2170  # carried over
    assert {s.kind for s in info.sources} == {"bin_table", "bin_changes", "cnaps_table", "cities"}
    added = set(
        pl.read_csv(DELTA_B, has_header=False, infer_schema=False).filter(pl.col("column_18") == "A")["column_15"]
    )
    diff = store.diff("2018-06", "2018-07")
    assert {k.split("/")[0] for k in diff.bins.added} <= added
    assert "622859/19" in diff.bins.changed and diff.bins.removed == []
    assert diff.branches.added == diff.branches.removed == diff.branches.changed == []
    by_bank = {b.bank: b for b in diff.bins.by_bank}
    assert sum(b.added for b in by_bank.values()) == len(diff.bins.added)
    assert built.report.accepted


def test_table_and_change_list_in_one_call(store: ReleaseStore, table_csv: Path) -> None:
    _, built = store.load("2018-07", Inputs(bin_table=table_csv, bin_changes=(DELTA_A,)))
    bins = built.release.bins
    assert bins.filter(pl.col("bin") == "621356084")["issuer_name"].to_list() == ["龙口中银富登南山村镇银行"]


def test_activate_and_roll_back_as_a_stack(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    store.load("2018-07", Inputs(bin_changes=(DELTA_A,)))
    with pytest.raises(ReleaseNotFound):
        store.activate("2019-01")
    store.activate("2018-06")
    with pytest.raises(ReleaseError, match="nothing to roll back"):
        store.rollback()
    store.activate("2018-07")
    assert store.active_month() == "2018-07"
    assert [(r.month, r.active) for r in store.list_releases()] == [("2018-06", False), ("2018-07", True)]
    assert store.read_release().month == "2018-07"
    assert store.rollback() == "2018-06"
    assert store.active_month() == "2018-06"


def test_diff_from_nothing_lists_everything_as_added(store: ReleaseStore, table_csv: Path) -> None:
    _, built = store.load("2018-06", full_inputs(table_csv))
    diff = store.diff(None, "2018-06")
    keys = built.release.bins.select(pl.concat_str("bin", pl.lit("/"), pl.col("pan_length").cast(pl.String))).unique()
    assert len(diff.bins.added) == keys.height and len(diff.branches.added) == 2968
    assert diff.from_month is None and diff.bins.removed == []


_HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
con.close()
"""


def test_writers_wait_for_another_process_lock_and_give_up_when_bounded(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(store.path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusy, match="still locked"), connect(store.path, read_only=False, timeout_s=0.2):
            pass
        assert holder.stdin is not None
        holder.stdin.write("release\n")
        holder.stdin.flush()
        store.activate("2018-06")  # retries until the other process lets go
        assert store.active_month() == "2018-06"
    finally:
        holder.kill()
        holder.wait()


def test_successive_change_lists_stack_and_keep_their_provenance(store: ReleaseStore, table_csv: Path) -> None:
    store.load("2018-06", full_inputs(table_csv))
    store.load("2018-07", Inputs(bin_changes=(DELTA_B,)))
    info, _ = store.load("2018-08", Inputs(bin_changes=(DELTA_A,)))
    assert [s.name for s in info.sources if s.kind == "bin_changes"] == [DELTA_B.name, DELTA_A.name]
    bins = store.read_release("2018-08").bins
    assert bins.filter(pl.col("bin") == "622859")["issuer_code"].to_list() == ["14505800"]  # from 2018-07
    assert bins.filter(pl.col("bin") == "621356084").height == 1  # from 2018-08
    info, _ = store.load("2018-09", Inputs(bin_table=table_csv))
    assert [s.kind for s in info.sources].count("bin_changes") == 0
