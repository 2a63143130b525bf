"""Fixtures for payout_core: a migrated store on each back end (SQLite file; PostgreSQL schema), an engine, a clock.

PostgreSQL runs when PAYOUT_PG_DSN is set or a server answers at builders.LOCAL_DSN; with PAYOUT_REQUIRE_PG=1 (CI)
a missing DSN fails instead of skipping, and a run that skipped PostgreSQL says so in its last lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from payout_core.channels import Outcomes
from payout_core.orders import Merchant, PayoutEngine
from payout_core.routing import ChannelRoute
from payout_core.store import Store
from tests.fakechannel import FakeChannel, running_fake_channel
from tests.fakechannel.bench import Bench
from tests.fakechannel.keys import ensure_keys

from .builders import ADMIN, BENCH_FUNDS, OPERATOR, Clock, drop_schema, hire_staff, make_store, new_key, pg_dsn

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

ensure_keys()  # every engine of the run (and every process it starts) seals with keys made for this run


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres":
        pg_dsn()
    return name


@pytest.fixture
def schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:20]}"


@pytest.fixture
def raw_store(backend: str, tmp_path: Path, schema_name: str) -> Iterator[Store]:
    store = make_store(backend, tmp_path, schema_name)
    yield store
    store.close()
    if backend == "postgres":
        drop_schema(schema_name)


@pytest.fixture
def store(raw_store: Store) -> Store:
    raw_store.migrate()
    return raw_store


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 in Beijing


@pytest.fixture
def engine(store: Store, clock: Clock) -> PayoutEngine:
    """An engine on a store whose staff is hired (builders.STAFF: root the admin, alice and bob approvers, ops an
    operator, sam a submitter)."""
    hire_staff(store, clock)
    return PayoutEngine(store, clock=clock)


@pytest.fixture
def funded(engine: PayoutEngine) -> PayoutEngine:
    """Merchant m1 (manual approval) with 1,000,000 fen; one channel `wx` (wechat_bank) with 1,000,000 fen."""
    engine.add_merchant(Merchant(id="m1", approval="manual"), actor=ADMIN)
    engine.deposit("m1", 1_000_000, key=new_key(), actor=OPERATOR)
    engine.add_channel(ChannelRoute(name="wx", profile="wechat_bank", weight=1), actor=ADMIN)
    engine.fund_channel("wx", 1_000_000, key=new_key(), actor=OPERATOR)
    return engine


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeChannel]:
    """One fake channel server per test module: benches share it, each with its own channel order prefix."""
    with running_fake_channel() as channel:
        yield channel


@pytest.fixture
def bench_channels() -> dict[str, Outcomes] | None:
    """The bench's channel routes and their rules; None is one route `fake`. A module overrides this to change it."""
    return None


@pytest.fixture
def bench(store: Store, clock: Clock, fake: FakeChannel, bench_channels: dict[str, Outcomes] | None) -> Iterator[Bench]:
    b = Bench(store, fake, clock, channels=bench_channels, funds=BENCH_FUNDS)
    yield b
    b.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "PostgreSQL" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"WARNING: {len(skipped)} PostgreSQL test(s) skipped: the production back end was not tested", red=True
        )
