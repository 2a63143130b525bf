"""The optional card-segment table: loaded, validated and stored like every monthly input, then used for regions."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from cardbin import Resolver
from cardbin.cli import app
from cardbin.errors import LoadRefused
from cardbin.release.build import Inputs
from cardbin.store import ReleaseStore
from cardbin.validate import Report

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
BASE = Inputs(
    bin_table=RAW / "aespark" / "bankBIN.txt",
    cnaps_table=RAW / "gweesin-cnaps" / "cnaps-sample.csv",
    cities=RAW / "gweesin-cnaps" / "cities.json",
)
PAN = "6222021234567890128"


def _segments(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "segments.csv"
    path.write_bytes(text.encode("gb18030"))  # vendors send GBK like the UnionPay files
    return path


def test_a_segment_gives_a_national_card_its_city_and_city_branch(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path / "r.duckdb")
    segments = _segments(tmp_path, "卡号段,城市代码\r\n6222020200,1000\r\n62220203,5840\r\n62220203,5840\r\n")
    store.load("2026-11", Inputs(**{**BASE.__dict__, "segments": segments}))
    store.activate("2026-11")
    assert store.read_release().segments.rows() == [("6222020200", "1000"), ("62220203", "5840")]
    resolver = Resolver.open(store.path)
    beijing = resolver.lookup("6222020200" + "123456789")
    assert (beijing.bank_code, beijing.city, beijing.region_source) == ("ICBC", "北京市", "card_segment")
    assert (beijing.cnaps_code, beijing.cnaps_match) == ("102100000030", "city_branch")
    other = resolver.lookup(PAN)
    assert (other.region_source, other.city) == ("none", None)
    shown = CliRunner().invoke(app, ["lookup", "6222020200123456789", "--db", str(store.path)])
    assert shown.exit_code == 0
    assert "北京市 1000 [city, card_segment]" in shown.output and "[city_branch]" in shown.output  # not eaten as markup


def test_a_broken_segment_table_is_refused_with_every_problem_and_nothing_stored(tmp_path: Path) -> None:
    store = ReleaseStore(tmp_path / "r.duckdb")
    segments = _segments(
        tmp_path, f"卡号段,城市代码\n62A2020,1000\n62220203,5840\n62220203,1000\n{PAN},1000\n6222,99\n"
    )
    with pytest.raises(LoadRefused) as refused:
        store.load("2026-11", Inputs(**{**BASE.__dict__, "segments": segments}))
    report = refused.value.report
    assert isinstance(report, Report)
    found = {(p.row, p.column, p.value, p.rule) for p in report.problems if p.file == "segments.csv"}
    assert found == {
        (2, "prefix", "62A2020", "segment_prefix"),
        (3, "prefix", "62220203", "conflicting_segment"),
        (4, "prefix", "62220203", "conflicting_segment"),
        (5, "prefix", "622202*********0128", "segment_prefix"),
        (6, "prefix", "6222", "segment_prefix"),
        (6, "city_code", "99", "city_code"),
    }
    assert PAN not in msgspec.json.encode(report.summary()).decode()
    assert not store.path.exists()
