"""`cardbin release report`: the review page opened in a real headless Chromium, and the same tables as xlsx.

The page is built from a real store (the 2018 table, then both 2018-07-10 change lists and a CNAPS table with
branches dropped and renamed); the test reads the DOM Chromium rendered and finds the figures of the diff it was
built from, computed separately by `ReleaseStore.diff`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import fastexcel
import msgspec
import polars as pl
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from cardbin.release.build import Inputs
from cardbin.resolve.coverage import release_coverage
from cardbin.store import ReleaseStore
from tests.cardbin.builders import DELTA_A, DELTA_B, GWEESIN, cocolian_rows, write_csv
from tests.cardbin.conftest import full_inputs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
runner = CliRunner()


VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "col", "wbr"})


class Dom(HTMLParser):
    """Text by element id, attributes of chart bars, and (attributes, cell texts) of every table row."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.bars: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.rows: list[tuple[dict[str, str], list[str]]] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the elements the parser is inside
        self._chart: str | None = None
        self._row: tuple[dict[str, str], list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag not in VOID:
            self._open.append((tag, a.get("id")))
        if "id" in a:
            self.text[a["id"]] = ""
        if tag == "figure":
            self._chart = a.get("id")
        if tag == "g" and "bar" in a.get("class", "") and self._chart:
            self.bars[self._chart].append(a)
        if tag == "tr":
            self._row = (a, [])
            self.rows.append(self._row)
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "figure":
            self._chart = None

    def handle_data(self, data: str) -> None:
        for _, i in self._open:
            if i is not None:
                self.text[i] += data
        if self._cell is not None:
            self._cell.append(data)


def _render(page: Path, profile: Path) -> str:
    """The DOM Chromium built from the page (no network, no extensions, a throwaway profile)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReleaseStore, Path, Path, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("review")
    store = ReleaseStore(tmp / "releases.duckdb")
    table = write_csv(tmp / "卡表.csv", cocolian_rows(), encoding="gbk")
    store.load("2018-06", full_inputs(table), measure=release_coverage)
    cnaps = pl.read_csv(GWEESIN, infer_schema=False)
    renamed = pl.when(pl.int_range(pl.len()) < 3).then(pl.col("LName") + "（迁址）").otherwise(pl.col("LName"))
    changed = tmp / "行号.csv"
    cnaps.slice(10).with_columns(renamed.alias("LName")).write_csv(changed)
    store.load("2018-07", Inputs(bin_changes=(DELTA_A, DELTA_B), cnaps_table=changed), measure=release_coverage)
    page, book = tmp / "review.html", tmp / "review.xlsx"
    args = ["release", "report", "2018-06", "2018-07", "--db", str(store.path), "--out", str(page), "--json"]
    result = runner.invoke(app, [*args, "--xlsx", str(book)])
    assert result.exit_code == 0, result.output
    return store, page, book, msgspec.json.decode(result.stdout)


def test_the_page_rendered_by_chromium_shows_the_diff_it_was_built_from(
    reviewed: tuple[ReleaseStore, Path, Path, dict[str, object]], tmp_path: Path
) -> None:
    store, page, _, envelope = reviewed
    diff = store.diff("2018-06", "2018-07")
    dom = Dom()
    dom.feed(_render(page, tmp_path / "profile"))
    for table in ("bins", "branches"):
        for kind in ("added", "removed", "changed"):
            assert dom.text[f"{table}-{kind}"].strip() == str(len(getattr(getattr(diff, table), kind))), (table, kind)
    assert (len(diff.bins.added), len(diff.branches.removed), len(diff.branches.changed)) == (14, 10, 3)
    assert envelope["result"]["summary"]["bins"] == {"added": 14, "removed": 0, "changed": 1}

    bars = {b["data-label"]: b for b in dom.bars["chart-banks"]}
    for bank in diff.bins.by_bank:
        assert (bars[bank.bank]["data-added"], bars[bank.bank]["data-changed"]) == (str(bank.added), str(bank.changed))
    types = {b["data-label"]: int(b["data-added"]) for b in dom.bars["chart-card-types"]}
    assert types == {t: c.added for t, c in diff.bins.by_card_type.items()} and sum(types.values()) == 14
    assert sum(int(b["data-removed"]) for b in dom.bars["chart-branches"]) == 10

    changes = {
        (a["data-key"], a["data-field"]): cells[-2:] for a, cells in dom.rows if "data-field" in a and "data-key" in a
    }
    assert changes[("622859/19", "issuer_code")] == ["14315850", "14505800"]
    renamed = diff.branches.changes[0]
    assert changes[(renamed.key, "name")][1].endswith("（迁址）")

    coverage = store.list_releases()[1].coverage
    assert coverage is not None and coverage.by_bank
    top = coverage.by_bank[0]
    shown = {a["data-bank"]: cells for a, cells in dom.rows if "data-bank" in a}
    assert shown[top.bank][:2] == [top.bank, str(top.bins)]
    rules = {a["data-rule"]: cells[-1] for a, cells in dom.rows if "data-rule" in a}
    report = store.load_report("2018-07")
    assert rules == {rule: str(n) for rule, _, n in report.by_rule()} and dom.text["problems-fatal"].strip() == "0"


def test_the_page_fetches_nothing_and_escapes_what_the_files_say(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path / "releases.duckdb")
    rows = list(cocolian_rows()[:200])
    store.load("2018-06", Inputs(bin_table=write_csv(tmp_path / "a.csv", rows)))
    evil = ("<script>alert(1)</script>银行", "01020000", "<img src=x onerror=alert(2)>", "19",
            "999999xxxxxxxxxxxxx", "6", "999999", "借记卡")  # fmt: skip
    store.load("2018-07", Inputs(bin_table=write_csv(tmp_path / "b.csv", [*rows, evil])))
    page = tmp_path / "review.html"
    args = ["release", "report", "2018-06", "2018-07", "--db", str(store.path), "--out", str(page)]
    assert runner.invoke(app, args).exit_code == 0
    html = page.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;银行" in html and "<script" not in html and "<img" not in html
    assert not re.search(r"<[^>]*\s(src|href)=|https?://|<link|<script|@import|url\(", html)
    assert "default-src 'none'" in html  # and the browser enforces it: nothing may be fetched
    dom = Dom()
    dom.feed(_render(page, tmp_path / "profile"))
    assert dom.text["bins-added"].strip() == "1"


def test_the_workbook_holds_the_same_tables_with_every_row(
    reviewed: tuple[ReleaseStore, Path, Path, dict[str, object]],
) -> None:
    store, _, book, _ = reviewed
    diff = store.diff("2018-06", "2018-07")
    reader = fastexcel.read_excel(str(book))
    assert reader.sheet_names == [
        "Summary", "Problems", "BIN changes", "Branch changes", "Added BINs", "Removed BINs", "Changes per bank",
        "Changes per card type", "Coverage", "Coverage per bank",
    ]  # fmt: skip

    def sheet(name: str) -> pl.DataFrame:
        return reader.load_sheet(name, dtypes="string").to_polars()

    assert sheet("Summary").rows() == [("bins", "14", "0", "1"), ("branches", "0", "10", "3")]
    assert sheet("Branch changes").height == sum(len(c.fields) for c in diff.branches.changes) == 3
    assert sorted(sheet("Added BINs")["bin"] + "/" + sheet("Added BINs")["pan_length"]) == diff.bins.added
    assert sheet("Problems").height == len(store.load_report("2018-07").problems)
    assert sheet("Coverage per bank").height == len(store.list_releases()[1].coverage.by_bank)  # type: ignore[union-attr]


def test_a_page_that_cannot_be_written_is_a_usage_error_naming_the_option(
    reviewed: tuple[ReleaseStore, Path, Path, dict[str, object]], tmp_path: Path
) -> None:
    store = reviewed[0]
    args = ["release", "report", "2018-06", "2018-07", "--db", str(store.path), "--json"]
    for option, target in (("--out", tmp_path / "no" / "r.html"), ("--xlsx", tmp_path / "no" / "r.xlsx")):
        out = ["--out", str(tmp_path / "r.html")] if option == "--xlsx" else []
        result = runner.invoke(app, [*args, *out, option, str(target)])
        envelope = msgspec.json.decode(result.stdout)
        assert (result.exit_code, envelope["outcome"]) == (2, "usage")
        assert envelope["error"].startswith(f"{option[2:]}=") and "cannot be written" in envelope["error"]
    result = runner.invoke(app, ["release", "report", "2018-06", "2019-01", "--db", str(store.path), "--out", "x.html"])
    assert result.exit_code == 1 and "2019-01" in result.output
