"""Which heavy modules a `cardbin` command imports, in a fresh interpreter: the CLI's cold start.

`--help` and usage errors import none of them; `release list` and a lookup on a store need DuckDB and nothing that
moves frames; a lookup on the bundled release needs none (its index facts ship with it). The timings themselves are
measured with hyperfine (README, Benchmarks), not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cardbin.release.build import Inputs
from cardbin.store import ReleaseStore
from tests.cardbin.builders import cocolian_rows, write_csv

HEAVY = ("polars", "pyarrow", "duckdb", "numpy", "pandas", "pydantic", "typer", "rich", "fastexcel", "litestar",
         "uvicorn", "jinja2", "xlsxwriter")  # fmt: skip
_RUN = """
import sys
from cardbin.cli import app
try:
    app(sys.argv[1:], prog_name="cardbin")
except SystemExit as done:
    code = done.code
print(code, *sorted({m.split(".")[0] for m in sys.modules}), file=sys.stderr)
"""


def _imports(*args: str) -> tuple[int, set[str]]:
    """(exit code, the heavy modules loaded) of `cardbin ARGS` run in a new interpreter."""
    done = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=True)
    code, *loaded = done.stderr.strip().splitlines()[-1].split(" ")
    return int(code), set(loaded) & set(HEAVY)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["release", "--help"],
        ["release", "load", "--help"],
        ["lookup", "--help"],
        ["release", "load", "--month", "2026-11"],  # usage error: no --db
        ["release", "load", "--db", "x.duckdb", "--json"],  # usage error as the JSON envelope
        ["lookup"],  # usage error: no card
        ["nonsense"],
    ],
)
def test_help_and_usage_errors_import_nothing_heavy(args: list[str]) -> None:
    code, loaded = _imports(*args)
    assert code in (0, 2) and loaded == set()


def test_release_list_imports_duckdb_but_no_frames(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path / "r.duckdb")
    store.load("2018-06", Inputs(bin_table=write_csv(tmp_path / "t.csv", cocolian_rows()[:100])))
    code, loaded = _imports("release", "list", "--db", str(store.path), "--json")
    assert code == 0 and loaded == {"duckdb"}
    code, loaded = _imports("release", "list", "--db", str(store.path))
    assert code == 0 and loaded == {"duckdb", "rich"}


def test_a_lookup_imports_no_frames(tmp_path: Path) -> None:
    """The README's first command answers from the bundled release's shipped index: no polars, no DuckDB."""
    assert _imports("lookup", "6222021234567890128", "--json") == (0, set())
    assert _imports("lookup", "6222021234567890128") == (0, {"rich"})
    assert _imports("lookup", "1111111111111111", "--json") == (1, set())
    store = ReleaseStore(tmp_path / "r.duckdb")
    store.load("2018-06", Inputs(bin_table=write_csv(tmp_path / "t.csv", cocolian_rows()[:100])))
    store.activate("2018-06")
    assert _imports("lookup", "6223092900123456789", "--db", str(store.path), "--json") == (0, {"duckdb"})
