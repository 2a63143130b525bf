"""What the payout_core tests build and share: stores on each back end, a settable clock, payees, threads released
together. Test modules import these from here (never from another test module or from conftest)."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from payout_core.errors import PayoutError
from payout_core.recipient import Recipient
from payout_core.store import ChainProbe, Store, StoreError, open_store
from tests.fakechannel.staff import ADMIN, OPERATOR, STAFF, hire_staff, new_key

__all__ = ["ADMIN", "OPERATOR", "STAFF", "hire_staff", "new_key"]  # the bench's staff, for the test modules

# The server README and .ci/run set up; used when PAYOUT_PG_DSN is not set and a server answers there, so the
# PostgreSQL half of the suite runs on a developer's machine too instead of skipping quietly.
LOCAL_DSN = "postgresql://payout:payout@127.0.0.1:5432/payout_test"


@functools.cache
def _local_server() -> str | None:
    try:
        psycopg.connect(LOCAL_DSN, connect_timeout=2).close()
    except psycopg.Error:
        return None
    return LOCAL_DSN


def pg_dsn() -> str:
    dsn = os.environ.get("PAYOUT_PG_DSN") or _local_server()
    if not dsn:
        if os.environ.get("PAYOUT_REQUIRE_PG") == "1":
            pytest.fail("PAYOUT_REQUIRE_PG=1 but PAYOUT_PG_DSN is not set")
        pytest.skip(f"no PostgreSQL: PAYOUT_PG_DSN is not set and nothing answers at {LOCAL_DSN}")
    return dsn


def make_store(backend: str, tmp_path: Path, schema: str) -> Store:
    """An empty, unmigrated store; on PostgreSQL in its own schema so tests never see each other's rows."""
    if backend == "sqlite":
        return open_store(tmp_path / f"{schema}.db")
    return open_store(pg_dsn(), schema=schema)


def store_url(store: Store, tmp_path: Path, schema: str) -> str:
    """The `--store` URL of a test's store for the command line: its SQLite file, or its PostgreSQL schema chosen
    through libpq's options."""
    if store.name == "sqlite":
        return str(tmp_path / f"{schema}.db")
    return f"{pg_dsn()}{'&' if '?' in pg_dsn() else '?'}options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class Clock:
    """A settable clock shared by threads, so instants in assertions are the instants the engine recorded."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


def recipient(amount: int = 10_000, *, account_no: str = "6222021234567890128", corporate: bool = False) -> Recipient:
    """A recipient every shipped channel profile accepts (personal), or a corporate one only some accept."""
    if corporate:
        return Recipient(
            name="深圳市某某科技有限公司",
            account_no="4000023009200012345",
            account_type="corporate",
            amount=amount,
            bank_code="ICBC",
            bank_name="中国工商银行",
            province="广东省",
            city="深圳市",
            branch_name="中国工商银行深圳分行营业部",
            cnaps_code="102584000002",
        )
    return Recipient(
        name="张三",
        account_no=account_no,
        account_type="personal",
        amount=amount,
        bank_code="ICBC",
        bank_name="中国工商银行",
        id_no="11010519491231002X",  # GB 11643-1999's own example number
        mobile="13800138000",
        purpose="劳务报酬",  # Lianlian and Baofoo require a purpose on every payout
    )


BENCH_FUNDS = 1_000_000  # what the merchant and each channel of a `bench` start with, in fen


def company(**kw: Any) -> Recipient:
    """A corporate payee naming its bank but no branch and no 联行号: what each channel asks for differs there."""
    fields: dict[str, Any] = {
        "name": "（深圳）科技有限公司",
        "account_no": "4000023009200123456",
        "account_type": "corporate",
        "amount": 10_000,
        "bank_name": "中国工商银行",
        "bank_code": "ICBC",
    }
    return Recipient(**(fields | kw))


def payee(**kw: Any) -> Recipient:
    """recipient() with some fields given: an individual every shipped channel pays as written, but for them."""
    return msgspec.structs.replace(recipient(), **kw)


def branch_company(**kw: Any) -> Recipient:
    """company() with branch, region, 联行号 and purpose: what the most demanding channels ask of a company."""
    branch = {"province": "北京市", "city": "北京市", "branch_name": "中国工商银行股份有限公司北京新华支行"}
    return company(**({"purpose": "货款", "cnaps_code": "102100000021"} | branch | kw))


def run_threads(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run work(0..n-1) in n threads released together; what they returned and what they raised."""
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


TablesNow = dict[str, list[tuple[Any, ...]]]


def tables_now(store: Store) -> TablesNow:
    """Every row of every table, in a stable order."""
    with store.transaction(write=False) as tx:
        if store.name == "sqlite":
            names = tx.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        else:
            names = tx.all("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(n): sorted(tx.all(f"SELECT * FROM {n}"), key=repr) for (n,) in names}


def links_each_failing(store: Store, chain: Callable[[], object]) -> list[str]:
    """Break each link of `chain` in turn; the names of its links, in order (see test_chains.py)."""
    before = tables_now(store)
    broken: list[str] = []
    while True:
        probe = store.probe = ChainProbe(spare=frozenset(broken))
        try:
            chain()
        except (StoreError, PayoutError):
            assert probe.broken is not None, "the chain failed with no link broken"
            assert tables_now(store) == before, f"breaking {probe.broken!r} left part of the chain committed"
            broken.append(probe.broken)
            continue
        finally:
            store.probe = None
        assert probe.broken is None, f"breaking {probe.broken!r} did not stop the chain"
        assert tables_now(store) != before, "the whole chain changed nothing"
        return broken
