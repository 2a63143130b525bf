"""The bundled release's shipped index facts: current, answering exactly as the index built from the tables, and
ignored (never trusted) when stale or broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest

from cardbin.banks import default_directory
from cardbin.errors import CardbinError
from cardbin.paths import BANKS_DIR, DEFAULT_RELEASE_DIR
from cardbin.release.bundled import default_release
from cardbin.resolve.index import ReleaseIndex
from cardbin.resolve.resolver import Resolver
from cardbin.resolve.snapshot import SNAPSHOT, read_snapshot, write_snapshot


@pytest.fixture(scope="module")
def shipped() -> ReleaseIndex:
    facts = read_snapshot(DEFAULT_RELEASE_DIR)
    assert facts is not None, (
        f"{DEFAULT_RELEASE_DIR / SNAPSHOT} is missing or stale (the release, the bank directory or the indexing "
        "rules changed): run scripts/build_default_data.py --index-only"
    )
    return ReleaseIndex(facts)


@pytest.fixture(scope="module")
def built() -> ReleaseIndex:
    return ReleaseIndex.build(default_release().rows(), default_directory())


def _answers(index: ReleaseIndex) -> dict[tuple[int, str], object]:
    return {
        (n, bin_): msgspec.to_builtins(hit.info)
        for n, tables in index.exact_tables.items()
        for table in tables.values()
        for bin_, hit in table.items()
    }


def test_the_shipped_facts_are_what_the_tables_give_today(shipped: ReleaseIndex, built: ReleaseIndex) -> None:
    assert shipped.release == built.release == default_release().month
    assert _answers(shipped) == _answers(built)
    assert {b: [(r.record, r.bank, r.region) for r in rows] for b, rows in shipped.rows_by_bin.items()} == {
        b: [(r.record, r.bank, r.region) for r in rows] for b, rows in built.rows_by_bin.items()
    }
    assert shipped.branches.by_code == built.branches.by_code
    assert shipped.branches.head_offices == built.branches.head_offices
    assert shipped.unknown_banks == built.unknown_banks and shipped.cities == built.cities
    assert shipped.directory.banks == built.directory.banks


def test_a_resolver_on_the_shipped_facts_answers_as_one_built_from_the_tables(
    shipped: ReleaseIndex, built: ReleaseIndex
) -> None:
    """Lookups that compute their answer on first use too: a card of no row's length, a BIN prefix, branches."""
    ours, theirs = Resolver(shipped), Resolver(built)
    cards = [b + "0" * (n - len(b)) for b in list(built.rows_by_bin)[::7] for n in (12, 15, 16, 19) if n > len(b)]

    def answer(resolver: Resolver, card: str) -> object:
        try:
            return msgspec.to_builtins(resolver.lookup(card))
        except CardbinError as exc:
            return str(exc)

    assert [answer(ours, c) for c in cards] == [answer(theirs, c) for c in cards]
    assert ours.lookup_bin("622202") == theirs.lookup_bin("622202")
    for bank, city in (("ICBC", "北京"), ("ABC", None), (None, "5840")):
        assert ours.branches(bank=bank, city=city, limit=50) == theirs.branches(bank=bank, city=city, limit=50)
    assert ours.banks() == theirs.banks() and ours.cities() == theirs.cities()


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    release, banks = tmp_path / "default", tmp_path / "banks"
    shutil.copytree(DEFAULT_RELEASE_DIR, release)
    shutil.copytree(BANKS_DIR, banks)
    return release, banks


def test_stale_or_broken_facts_are_ignored(tmp_path: Path, built: ReleaseIndex) -> None:
    release, banks = _copy(tmp_path)
    write_snapshot(built, release, banks)
    assert read_snapshot(release, banks) is not None
    with (banks / "curated.csv").open("a", encoding="utf-8") as f:
        f.write("\n")  # the bank directory changed: the facts may be wrong
    assert read_snapshot(release, banks) is None
    release, banks = _copy(tmp_path / "again")
    write_snapshot(built, release, banks)
    (release / "release.json").write_bytes((release / "release.json").read_bytes() + b" ")  # the release changed
    assert read_snapshot(release, banks) is None
    write_snapshot(built, release, banks)
    snapshot = release / SNAPSHOT
    head, _, body = snapshot.read_bytes().partition(b"\n")
    snapshot.write_bytes(head + b"\n" + body[: len(body) // 2])  # truncated, fingerprint intact
    assert read_snapshot(release, banks) is None
    snapshot.write_bytes(head + b"\n" + b"\x78\x9c" + bytes(100))  # not the facts at all
    assert read_snapshot(release, banks) is None
    snapshot.unlink()
    assert read_snapshot(release, banks) is None
