"""Published releases: bundles in a directory that replicas follow (`cardbin release publish`, `serve --releases`).

The bundle format is the bundled release's (data/default); DuckDB reads a published bundle as it is. Replicas are
real `cardbin serve` processes on loopback, one of them reading the destination over HTTP from a static server.
"""

from __future__ import annotations

import json
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import duckdb
import httpx
import msgspec
import pytest

from cardbin.errors import BundleBroken, ReleaseError
from cardbin.paths import DEFAULT_RELEASE_DIR
from cardbin.publish import Destination
from cardbin.publish.destination import ACTIVE, CATALOG, Pointer
from cardbin.release.bundle import MANIFEST, Manifest, encode, read_bundle
from cardbin.service.wire import Releases
from cardbin.store import ReleaseStore
from tests.cardbin.harness import (
    CLI,
    CMBC,
    ICBC,
    ROOT,
    STARTUP_LIMIT,
    Load,
    follow_process,
    sample_release,
    static_server,
)

OLD, NEW, BAD = "2026-09", "2026-10", "2026-11"


def _cli(*args: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run([*CLI, *args, "--json"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "releases.duckdb"
    releases = ReleaseStore(db)
    releases.save(sample_release(OLD))
    releases.save(sample_release(NEW, later=True))
    releases.save(sample_release(BAD, later=True))
    return db


def _corrupt(bundle: Path) -> bytes:
    """Flip one byte in the middle of the bundle's BIN table; returns the original bytes."""
    path = bundle / "bins.parquet"
    original = path.read_bytes()
    middle = len(original) // 2
    path.write_bytes(original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1 :])
    return original


def test_the_bundled_release_is_a_bundle_with_checksums() -> None:
    manifest = msgspec.json.decode((DEFAULT_RELEASE_DIR / MANIFEST).read_bytes(), type=Manifest)
    assert set(manifest.files) == {"bins.parquet", "branches.parquet", "cities.parquet", "segments.parquet"}
    assert read_bundle(DEFAULT_RELEASE_DIR).bins.height == manifest.files["bins.parquet"].rows


def test_publish_writes_a_bundle_duckdb_reads_and_publishing_again_changes_nothing(store: Path, tmp_path: Path) -> None:
    dest = tmp_path / "published"
    code, envelope = _cli("release", "publish", OLD, str(dest), "--db", str(store))
    assert code == 0 and envelope["result"]["written"] is True  # type: ignore[index]
    manifest = msgspec.json.decode((dest / OLD / MANIFEST).read_bytes(), type=Manifest)
    with duckdb.connect() as con:
        for name, entry in manifest.files.items():
            rows = con.execute(f"SELECT count(*) FROM read_parquet('{dest / OLD / name}')").fetchone()
            assert rows == (entry.rows,)
        (month,) = con.execute(f"SELECT month FROM read_json_auto('{dest / OLD / MANIFEST}')").fetchone() or ("",)
        assert month == OLD
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    code, envelope = _cli("release", "publish", OLD, str(dest), "--db", str(store))
    assert code == 0 and envelope["result"]["written"] is False  # type: ignore[index]
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before
    assert Destination(dest).pointer() is None  # published, not active


def test_a_month_published_with_other_content_is_refused_and_the_bundle_kept(store: Path, tmp_path: Path) -> None:
    dest = Destination(tmp_path / "published")
    dest.publish(sample_release(OLD))
    before = (tmp_path / "published" / OLD / "bins.parquet").read_bytes()
    with pytest.raises(ReleaseError, match=r"already published .* with other content"):
        dest.publish(sample_release(OLD, later=True))
    assert (tmp_path / "published" / OLD / "bins.parquet").read_bytes() == before
    assert [p.month for p in dest.catalog()] == [OLD]


def test_activate_rollback_and_history_move_the_pointer(store: Path, tmp_path: Path) -> None:
    dest = tmp_path / "published"
    for month in (OLD, NEW):
        assert _cli("release", "publish", month, str(dest), "--db", str(store), "--activate")[0] == 0
    assert Destination(dest).pointer().month == NEW  # type: ignore[union-attr]
    assert ReleaseStore(store).active_month() is None  # the store's own pointer is another thing
    code, envelope = _cli("release", "rollback", "--releases", str(dest))
    assert code == 0 and envelope["result"] == {"active": OLD}
    code, envelope = _cli("release", "rollback", "--releases", str(dest))
    assert code == 1 and "nothing to roll back" in str(envelope["error"])
    code, envelope = _cli("release", "activate", NEW, "--releases", str(dest))
    assert code == 0
    _, envelope = _cli("release", "history", "--releases", str(dest))
    actions = [(e["action"], e["month"], e.get("restored")) for e in envelope["result"]]  # type: ignore[union-attr]
    assert actions == [
        ("activate", OLD, None),
        ("activate", NEW, None),
        ("rollback", NEW, OLD),
        ("activate", NEW, None),
    ]
    code, envelope = _cli("release", "activate", "2030-01", "--releases", str(dest))
    assert code == 1 and "not published" in str(envelope["error"])


def test_a_corrupted_bundle_is_never_activated_nor_read(store: Path, tmp_path: Path) -> None:
    dest = tmp_path / "published"
    for month in (OLD, BAD):
        assert _cli("release", "publish", month, str(dest), "--db", str(store))[0] == 0
    assert _cli("release", "activate", OLD, "--releases", str(dest))[0] == 0
    pointer = (dest / ACTIVE).read_bytes()
    _corrupt(dest / BAD)
    code, envelope = _cli("release", "activate", BAD, "--releases", str(dest))
    assert code == 1 and "sha256" in str(envelope["error"])
    assert (dest / ACTIVE).read_bytes() == pointer
    with pytest.raises(BundleBroken, match=r"bins\.parquet"):
        Destination(dest).read_release(BAD)
    (dest / BAD / MANIFEST).write_text("{}")  # a manifest edited after publishing no longer matches the catalog
    with pytest.raises(BundleBroken, match=r"release\.json: sha256"):
        Destination(dest).read_release(BAD)


def test_a_pointer_write_that_fails_leaves_the_old_pointer_whole(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = Destination(tmp_path / "published")
    for month in (OLD, NEW):
        dest.publish(ReleaseStore(store).read_release(month))
    dest.activate(OLD)
    before = (tmp_path / "published" / ACTIVE).read_bytes()

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("cardbin.publish.destination.os.replace", full_disk)
    with pytest.raises(
        ReleaseError, match=r"ACTIVE: could not be written \(No space left on device\); it is unchanged"
    ):
        dest.activate(NEW)
    assert (tmp_path / "published" / ACTIVE).read_bytes() == before
    assert {p.name for p in (tmp_path / "published").iterdir()} == {".ACTIVE.lock", ACTIVE, OLD, NEW, CATALOG}


def test_publishing_into_a_url_is_refused(store: Path) -> None:
    code, envelope = _cli("release", "publish", OLD, "http://127.0.0.1:9/releases", "--db", str(store))
    assert code == 1 and "published into a directory" in str(envelope["error"])


# --- replicas ------------------------------------------------------------------------------------------------


def _serving(base_url: str) -> str | None:
    answer = httpx.get(f"{base_url}/v1/releases", timeout=5.0)
    return msgspec.json.decode(answer.content, type=Releases).serving if answer.status_code == 200 else None


def _converge(replicas: list[str], month: str) -> float:
    """Seconds until every replica serves `month` (the bound only stops a broken test from hanging)."""
    start = time.monotonic()
    while any(_serving(r) != month for r in replicas):
        if time.monotonic() - start > STARTUP_LIMIT:
            pytest.fail(f"replicas never converged on {month}: {[_serving(r) for r in replicas]}")
        time.sleep(0.02)
    return time.monotonic() - start


def _answered(loads: list[Load]) -> None:
    """Returns once every client of every load has had another answer since the call (bounded like startup)."""
    clients = [seen for load in loads for seen in load.seen]
    marks = [len(seen) for seen in clients]
    deadline = time.monotonic() + STARTUP_LIMIT
    while any(len(seen) <= mark for seen, mark in zip(clients, marks, strict=True)):
        assert time.monotonic() < deadline, "a load client stopped getting answers"
        time.sleep(0.02)


def test_three_replicas_follow_one_destination_through_activation_rollback_and_a_broken_bundle(
    store: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "published"
    assert _cli("release", "publish", OLD, str(dest), "--db", str(store), "--activate")[0] == 0
    for month in (NEW, BAD):
        assert _cli("release", "publish", month, str(dest), "--db", str(store))[0] == 0
    with ExitStack() as stack:
        url = stack.enter_context(static_server(dest))
        replicas = [stack.enter_context(follow_process(str(dest), tmp_path))[0] for _ in range(3)]
        assert all(_serving(r) == OLD for r in replicas)
        with ExitStack() as loading:  # lookups and batches on every replica through every switch
            loads = [loading.enter_context(Load(r, clients=2)) for r in replicas]
            _answered(loads)
            assert _cli("release", "activate", NEW, "--releases", str(dest))[0] == 0
            print(f"3 replicas converged on {NEW} {_converge(replicas, NEW):.2f} s after `release activate`")
            _answered(loads)

            # A replica started late, reading the destination over HTTP from a static server, catches up at start.
            late = stack.enter_context(follow_process(url, tmp_path))[0]
            assert _serving(late) == NEW
            assert httpx.post(f"{late}/v1/cards/lookup", json={"card_number": CMBC}).status_code == 200
            replicas.append(late)
            loads.append(loading.enter_context(Load(late, clients=2)))
            _answered(loads)

            assert _cli("release", "rollback", "--releases", str(dest))[0] == 0
            print(f"4 replicas converged on {OLD} {_converge(replicas, OLD):.2f} s after `release rollback`")
            _answered(loads)
            assert _cli("release", "activate", NEW, "--releases", str(dest))[0] == 0
            print(f"4 replicas converged on {NEW} {_converge(replicas, NEW):.2f} s after `release activate`")
            _answered(loads)
        for load in loads:  # no request failed during a switch, none mixed two months, each replica switched
            answers = [(status, months) for seen in load.seen for _, status, months in seen]
            assert all(status == 200 and len(months) == 1 for status, months in answers), load.base_url
            assert set[str]().union(*(months for _, months in answers)) == {OLD, NEW}, load.base_url

        # A pointer copied ahead of its bundle (a half-done upload): every replica refuses it, keeps answering
        # from NEW and says why on /readyz.
        original = _corrupt(dest / BAD)
        published = Destination(dest).published(BAD)
        pointer = Destination(dest).pointer()
        assert pointer is not None
        broken = Pointer(month=BAD, manifest_sha256=published.manifest_sha256, history=pointer.history)
        (dest / ACTIVE).write_bytes(encode(broken))
        for replica in replicas:
            deadline = time.monotonic() + STARTUP_LIMIT
            while (ready := httpx.get(f"{replica}/readyz")).status_code != 503:
                assert time.monotonic() < deadline, "replica never reported the broken bundle"
                time.sleep(0.05)
            assert BAD in ready.text and "sha256" in ready.text and f"answer from release {NEW}" in ready.text
            answer = httpx.post(f"{replica}/v1/cards/lookup", json={"card_number": ICBC})
            assert answer.status_code == 200 and answer.json()["release"] == NEW

        (dest / BAD / "bins.parquet").write_bytes(original)  # the upload completes: replicas take it up
        print(f"4 replicas converged on {BAD} {_converge(replicas, BAD):.2f} s after the bundle was repaired")
        assert all(httpx.get(f"{r}/readyz").status_code == 200 for r in replicas)
