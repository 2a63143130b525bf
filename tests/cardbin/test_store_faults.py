"""The release store under faults, on real files: missing, corrupt, read-only, not ours, a full disk; and history.

Every fault is a clear error naming the file (exit 1 on the command line, never a traceback), nothing but
`release load` creates a store, and a failed load leaves the store byte for byte as it was.

The full-disk and read-only cases run on a real small tmpfs when this process may mount one (root in CI);
`test_a_failure_just_before_the_rename_leaves_the_store_as_it_was` simulates ENOSPC at the last step on any machine.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import msgspec
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.errors import StoreUnavailable
from cardbin.release.build import Inputs
from cardbin.store import ReleaseStore
from cardbin.store import releases as releases_module
from tests.cardbin.builders import CITIES_JSON, GWEESIN, cocolian_rows, write_csv

runner = CliRunner()
CARD = "6222021234567890128"


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("t") / "卡表.csv", cocolian_rows(), encoding="gbk")


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _broken_stores(tmp_path: Path) -> dict[str, Path]:
    random = tmp_path / "random.duckdb"
    random.write_bytes(os.urandom(20_000))
    empty = tmp_path / "empty.duckdb"
    empty.write_bytes(b"")
    good = tmp_path / "good.duckdb"
    with duckdb.connect(str(good)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(100000)")
    truncated = tmp_path / "truncated.duckdb"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return {"random bytes": random, "empty file": empty, "truncated": truncated, "another DuckDB file": good}


def test_missing_and_corrupt_stores_are_clear_errors_and_never_created(tmp_path: Path) -> None:
    typo = tmp_path / "typo.duckdb"
    for args in (["lookup", CARD, "--db", str(typo)], ["branches", "--db", str(typo)]):
        code, output = _cli(*args)
        assert code == 1 and "no such release store" in output and "no active release" not in output
    for command in (["list"], ["history"], ["rollback"], ["activate", "2018-06"], ["diff"]):
        code, output = _cli("release", *command, "--db", str(typo))
        assert code == 1 and "no such release store" in output, (command, output)
        code, output = _cli("release", *command, "--db", str(typo), "--json")
        envelope = msgspec.json.decode(output)
        assert (envelope["outcome"], envelope["exit_code"]) == ("refused", 1) and "no such" in envelope["error"]
    assert not typo.exists() and list(tmp_path.iterdir()) == []

    for what, path in _broken_stores(tmp_path).items():
        before = path.read_bytes()
        for args in (["lookup", CARD, "--db", str(path)], ["release", "list", "--db", str(path)],
                     ["release", "activate", "2018-06", "--db", str(path)]):  # fmt: skip
            code, output = _cli(*args)
            assert code == 1 and str(path.name) in output, (what, args, output)
            assert "not a cardbin release store" in output or "cannot be opened" in output, (what, output)
        assert path.read_bytes() == before, what


def test_loading_into_a_corrupt_file_refuses_and_keeps_it(tmp_path: Path, table_csv: Path) -> None:
    path = tmp_path / "random.duckdb"
    path.write_bytes(os.urandom(20_000))
    before = path.read_bytes()
    with pytest.raises(StoreUnavailable, match="cannot be opened"):
        ReleaseStore(path).load("2018-06", Inputs(bin_table=table_csv))
    assert path.read_bytes() == before


def test_a_failure_just_before_the_rename_leaves_the_store_as_it_was(
    tmp_path: Path, table_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ReleaseStore(tmp_path / "releases.duckdb")
    store.load("2018-06", Inputs(bin_table=table_csv, cnaps_table=GWEESIN, cities=CITIES_JSON))
    store.activate("2018-06")
    before = store.path.read_bytes()

    def no_space(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(releases_module, "fsync", no_space)  # the staging copy is complete, the rename next
    with pytest.raises(StoreUnavailable, match=r"No space left on device.*unchanged"):
        store.load("2018-07", Inputs(bin_table=table_csv))
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".releases.duckdb.lock", "releases.duckdb"]
    monkeypatch.undo()
    store.activate("2018-06")  # the store still takes writes
    assert store.months() == ["2018-06"] and store.active_month() == "2018-06"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs of our own (skipped where this process may not mount)."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_load_on_a_full_disk_fails_cleanly_and_the_next_activation_works(small_disk: Path, table_csv: Path) -> None:
    store = ReleaseStore(small_disk / "releases.duckdb")
    store.load("2018-06", Inputs(bin_table=table_csv, cnaps_table=GWEESIN, cities=CITIES_JSON))
    store.activate("2018-06")
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * (free - 3 * store.path.stat().st_size // 2))  # room to copy the store, not to grow it
    before = store.path.read_bytes()
    code, output = _cli("release", "load", "--db", str(store.path), "--month", "2018-07",
                        "--cnaps-table", str(_many_branches(small_disk.parent)))  # fmt: skip
    assert code == 1 and "No space left on device" in output and "unchanged" in output, output
    assert store.path.read_bytes() == before
    assert not [p for p in small_disk.iterdir() if ".loading" in p.name]
    assert _cli("release", "activate", "2018-06", "--db", str(store.path))[0] == 0
    assert store.months() == ["2018-06"]


def _many_branches(directory: Path) -> Path:
    """A CNAPS table twelve times the sample (valid codes, distinct), big enough to fill what is left."""
    import polars as pl

    from cardbin import cnaps

    sample = pl.read_csv(GWEESIN, infer_schema=False)
    rows = []
    for copy in range(12):
        for code, row in zip(sample["BankCode"], sample.iter_rows(named=True), strict=True):
            first = code[:7] + f"{(int(code[7:11]) + copy * 797) % 10000:04d}"
            rows.append({**row, "BankCode": first + cnaps.check_digit(first)})
    path = directory / "many-branches.csv"
    pl.DataFrame(rows).unique("BankCode").write_csv(path)
    return path


def test_a_read_only_store_is_refused_for_writes_and_still_read(small_disk: Path, table_csv: Path) -> None:
    store = ReleaseStore(small_disk / "releases.duckdb")
    store.load("2018-06", Inputs(bin_table=table_csv, cnaps_table=GWEESIN, cities=CITIES_JSON))
    store.activate("2018-06")
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, check=False)
    assert remounted.returncode == 0, remounted.stderr
    code, output = _cli("release", "activate", "2018-06", "--db", str(store.path))
    assert code == 1 and "read-only" in output.lower(), output
    code, output = _cli("release", "load", "--db", str(store.path), "--month", "2018-07", "--bin-table", str(table_csv))
    assert code == 1 and "read-only" in output.lower(), output
    code, output = _cli("lookup", CARD, "--db", str(store.path), "--json")
    assert code == 0 and msgspec.json.decode(output)["result"]["release"] == "2018-06"
    assert _cli("release", "list", "--db", str(store.path))[0] == 0


def test_history_records_who_activated_and_rolled_back_what_when(tmp_path: Path, table_csv: Path) -> None:
    store = ReleaseStore(tmp_path / "releases.duckdb")
    store.load("2018-06", Inputs(bin_table=table_csv, cnaps_table=GWEESIN, cities=CITIES_JSON))
    store.load("2018-07", Inputs(bin_table=table_csv))
    for args in (["activate", "2018-06"], ["activate", "2018-07"], ["rollback"]):
        assert _cli("release", *args, "--db", str(store.path))[0] == 0
    code, output = _cli("release", "history", "--db", str(store.path), "--json")
    assert code == 0
    entries = msgspec.json.decode(output)["result"]
    user, host = releases_module.actor()
    assert [(e["action"], e["month"], e["restored"]) for e in entries] == [
        ("activate", "2018-06", None),
        ("activate", "2018-07", None),
        ("rollback", "2018-07", "2018-06"),
    ]
    assert all((e["user"], e["host"]) == (user, host) and e["at"] for e in entries)
    code, text = _cli("release", "history", "--db", str(store.path))
    assert code == 0 and "2018-07 → 2018-06" in text and "rollback" in text


def test_an_inactive_release_answers_with_release(tmp_path: Path, table_csv: Path) -> None:
    store = ReleaseStore(tmp_path / "releases.duckdb")
    store.load("2018-06", Inputs(bin_table=table_csv, cnaps_table=GWEESIN, cities=CITIES_JSON))
    store.load("2018-07", Inputs(bin_table=table_csv))
    store.activate("2018-06")
    db = ["--db", str(store.path)]
    active = msgspec.json.decode(_cli("lookup", CARD, *db, "--json")[1])["result"]
    inactive = msgspec.json.decode(_cli("lookup", CARD, *db, "--json", "--release", "2018-07")[1])["result"]
    assert (active["release"], inactive["release"]) == ("2018-06", "2018-07")
    assert inactive["cnaps_code"] == active["cnaps_code"]  # 2018-07 carried June's branches
    code, output = _cli("branches", "--bank", "ICBC", *db, "--release", "2018-07", "--json")
    assert code == 0 and msgspec.json.decode(output)["result"]
    code, output = _cli("lookup", CARD, *db, "--release", "2019-01")
    assert code == 1 and "2019-01" in output
    code, output = _cli("lookup", CARD, "--release", "2019-01")  # no store: only the bundled release
    assert code == 1 and "bundled" in output
    source, target = tmp_path / "cards.csv", tmp_path / "out.csv"
    source.write_text(f"card_number\n{CARD}\n")
    assert _cli("enrich", str(source), str(target), *db, "--release", "2018-07")[0] == 0
    assert "2018-07" in target.read_text()
