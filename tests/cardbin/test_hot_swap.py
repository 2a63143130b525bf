"""Hot swap: `cardbin release activate` in another process, a `cardbin serve` process under concurrent load.

Every request must succeed and name one release; a batch must never mix releases; once a client has seen the
new release it never sees the old one again; the new release's data (a BIN only it has) is served.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from cardbin.model import CardInfo, ReleaseInfo
from cardbin.release.schema import ReleaseData
from cardbin.resolve.resolver import Resolver
from cardbin.service.releases import ServedRelease, StoreSource
from cardbin.service.wire import Releases
from cardbin.store import ReleaseStore
from tests.cardbin.harness import CLI, CMBC, ICBC, ROOT, STARTUP_LIMIT, Load, sample_release, serve_process

OLD, NEW = "2026-09", "2026-10"


def _cli(*args: str) -> None:
    subprocess.run([*CLI, *args], cwd=ROOT, check=True, capture_output=True)


def _old_active(db: Path, *, with_new: bool) -> ReleaseStore:
    """A release store with OLD active and, if `with_new`, NEW (which adds CMBC's BIN) loaded but not active."""
    store = ReleaseStore(db)
    store.save(sample_release(OLD))
    if with_new:
        store.save(sample_release(NEW, later=True))
    store.activate(OLD)
    return store


def _stepped(db: Path, failing: str | None = None, **options: Any) -> tuple[ServedRelease, list[str]]:
    """A started-then-stopped ServedRelease, so the test drives the watcher's steps itself, and the months it built.

    Building the index of `failing` raises, as a broken release would.
    """
    built: list[str] = []

    def build(data: ReleaseData) -> Resolver:
        built.append(data.month)
        if data.month == failing:
            raise ValueError("index build failed")
        return Resolver.from_release(data)

    served = ServedRelease(source=StoreSource(db), build=build, **options)
    served.start()
    served.stop()
    return served, built


def _serving(http: httpx.Client) -> str:
    return msgspec.json.decode(http.get("/v1/releases").content, type=Releases).serving


def _wait_for(http: httpx.Client, month: str) -> float:
    """Seconds until the server names `month`; the bound only stops a broken test from hanging."""
    start = time.monotonic()
    while _serving(http) != month:
        if time.monotonic() - start > STARTUP_LIMIT:
            pytest.fail(f"server never switched to {month}")
        time.sleep(0.02)
    return time.monotonic() - start


def test_activate_swaps_the_release_under_load(tmp_path: Path) -> None:
    db = tmp_path / "releases.duckdb"
    _old_active(db, with_new=True)

    with serve_process(db) as (base_url, log), httpx.Client(base_url=base_url) as http:
        assert http.post("/v1/cards/lookup", json={"card_number": CMBC}).status_code == 404
        with Load(base_url) as load:
            while min(len(s) for s in load.seen) < 5:  # every client is running on the old release
                time.sleep(0.01)
            _cli("release", "activate", NEW, "--db", str(db))
            swap_seconds = _wait_for(http, NEW)
            settle = [len(s) for s in load.seen]
            while any(len(s) < n + 5 for s, n in zip(load.seen, settle, strict=True)):  # and now on the new one
                time.sleep(0.01)
        print(f"swap seen {swap_seconds:.3f} s after `release activate` returned")

        answer = http.post("/v1/cards/lookup", json={"card_number": CMBC})
        assert answer.status_code == 200
        assert msgspec.json.decode(answer.content, type=CardInfo).bank_code == "CMBC"
        releases = msgspec.json.decode(http.get("/v1/releases").content, type=Releases)
        assert [(r.month, r.active) for r in releases.releases] == [(OLD, False), (NEW, True)]

        for seen in load.seen:
            assert all(status == 200 for _, status, _ in seen)
            assert all(len(months) == 1 for _, _, months in seen), "a response mixed two releases"
            order = [months.pop() for _, _, months in seen]
            first_new = order.index(NEW)
            assert set(order[:first_new]) == {OLD} and set(order[first_new:]) == {NEW}

        _cli("release", "rollback", "--db", str(db))
        _wait_for(http, OLD)
        assert http.post("/v1/cards/lookup", json={"card_number": CMBC}).status_code == 404

        assert http.get(f"/v1/bins/{ICBC}").status_code == 422
    assert ICBC not in log.read_text(encoding="utf-8")  # uvicorn's access log quoted that URL, masked
    assert f"{ICBC[:6]}*********{ICBC[-4:]}" in log.read_text(encoding="utf-8")


def test_with_spares_loaded_and_previous_releases_are_prepared_before_they_are_activated(tmp_path: Path) -> None:
    """A full-size index takes seconds to build: with spares, activation and rollback do not wait for one."""
    db = tmp_path / "releases.duckdb"
    store = _old_active(db, with_new=False)
    served, built = _stepped(db, spares=True, catalog_every=0.0)
    assert served.poll() is False
    assert built == [OLD]

    store.save(sample_release(NEW, later=True))
    assert served.poll() is False
    assert built == [OLD, NEW] and served.current.release == OLD

    store.activate(NEW)
    assert served.poll() is True
    assert served.current.release == NEW and served.current.lookup(CMBC).bank_code == "CMBC"
    store.rollback()
    assert served.poll() is True
    assert served.current.release == OLD
    assert built == [OLD, NEW]  # both swaps used a prepared index


def test_without_spares_a_release_is_built_only_when_activated(tmp_path: Path) -> None:
    """The default: no worker spends memory on a release nobody has activated, nor keeps the one it replaced."""
    db = tmp_path / "releases.duckdb"
    store = _old_active(db, with_new=True)
    served, built = _stepped(db)
    assert served.poll() is False
    assert built == [OLD]  # NEW is loaded but not built
    store.activate(NEW)
    assert served.poll() is True
    assert served.current.release == NEW and built == [OLD, NEW]
    store.rollback()
    assert served.poll() is True
    assert built == [OLD, NEW, OLD]  # OLD was not kept: rebuilt on demand


def test_an_activation_between_the_watchers_two_reads_is_served_as_the_catalog_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher reads the active month, then the catalog: an activation in between must not leave one answer
    of /v1/releases serving one month while its catalog marks another active (seen under a flood of listings)."""
    db = tmp_path / "releases.duckdb"
    store = _old_active(db, with_new=True)
    served, _ = _stepped(db, catalog_every=0.0)  # the catalog is read at every poll
    source = served._source
    assert source is not None
    listed = source.list_releases

    def activated_while_listing() -> list[ReleaseInfo]:
        store.activate(NEW)  # after the watcher read OLD as the active month
        return listed()

    monkeypatch.setattr(source, "list_releases", activated_while_listing)
    assert served.poll() is True
    answer = served.releases()
    assert answer.serving == NEW
    assert [r.month for r in answer.releases if r.active] == [NEW]


def test_a_release_that_cannot_be_built_leaves_the_current_one_serving(tmp_path: Path) -> None:
    db = tmp_path / "releases.duckdb"
    store = _old_active(db, with_new=True)
    served, attempts = _stepped(db, failing=NEW)
    store.activate(NEW)
    assert served.poll() is False
    assert served.poll() is False  # not rebuilt on every tick: retried after a pause
    assert served.current.release == OLD
    assert attempts == [OLD, NEW]


def test_serve_refuses_to_start_without_an_active_release(tmp_path: Path) -> None:
    db = tmp_path / "releases.duckdb"
    ReleaseStore(db).save(sample_release(OLD))  # loaded, never activated
    command = [*CLI, "serve", "--port", "0", "--db", str(db)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=STARTUP_LIMIT, check=False)
    assert done.returncode != 0
    assert "no active release" in done.stdout + done.stderr
