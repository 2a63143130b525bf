"""The bundled default release: current with data/raw, validated by the load pipeline, free of placeholders."""

from __future__ import annotations

import polars as pl

from cardbin.paths import DEFAULT_RELEASE_DIR
from cardbin.release.bundle import read_bundle
from cardbin.release.bundled import default_release
from cardbin.sources.tables import sha256
from scripts.build_default_data import RAW, build
from tests.conftest import RAW as CONFTEST_RAW


def test_bundle_equals_a_fresh_build_from_the_mit_raw_files() -> None:
    built = build()
    bundled = default_release()
    assert bundled is default_release()  # read once per process
    assert bundled.month == built.release.month and built.report.accepted
    for table in ("bins", "branches", "cities", "segments"):
        assert getattr(bundled, table).equals(getattr(built.release, table)), table
    assert RAW == CONFTEST_RAW
    files = {
        "bankBIN.txt": RAW / "aespark",
        "cnaps-sample.csv": RAW / "gweesin-cnaps",
        "cities.json": RAW / "gweesin-cnaps",
        "bin.csv": RAW / "hexindai-bcbc",
    }
    assert {s.name: s.sha256 for s in bundled.sources} == {name: sha256(d / name) for name, d in files.items()}


def test_bundle_has_no_placeholder_bank_names_or_clearing_codes() -> None:
    release = read_bundle(DEFAULT_RELEASE_DIR)
    branches = release.branches
    assert not branches["clearing_code"].str.starts_with("9999999999").any()
    assert not branches["bank_name"].str.contains(r"^[A-Z]\s").any()
    assert release.bins.filter(pl.col("bin") == "622202")["bank_code"].to_list() == ["ICBC"]
    assert release.bins["card_type"].is_in(["debit", "credit", "semi_credit", "prepaid"]).all()
