"""The store on both back ends: migrations, transactions, placeholders, concurrency of migrators."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from payout_core.store import (
    MIGRATIONS,
    BatchedRead,
    BrokenLink,
    ChainProbe,
    ConstraintViolation,
    MigrationError,
    NestedTransaction,
    Store,
    Tx,
    open_store,
)
from payout_core.store.migrate import discover

from .builders import make_store, run_threads


def test_migrate_applies_every_file_once(raw_store: Store) -> None:
    names = [name for _, name, _ in discover()]
    assert raw_store.migrate() == names
    assert raw_store.migrate() == []
    with raw_store.transaction(write=False) as tx:
        recorded = [r[0] for r in tx.all("SELECT name FROM schema_migrations ORDER BY version")]
    assert recorded == names


def test_added_file_is_applied_and_changed_file_refused(raw_store: Store, tmp_path: Path) -> None:
    own = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, own)
    raw_store.migrate(own)
    (own / "0099_extra.sql").write_text("CREATE TABLE extra (\n    id {{id}},\n    payload {{bytes}}\n);\n")
    assert raw_store.migrate(own) == ["0099_extra.sql"]
    with raw_store.transaction() as tx:
        first = tx.one("INSERT INTO extra (payload) VALUES (?) RETURNING id", (b"\x00\xff",))
        second = tx.one("INSERT INTO extra (payload) VALUES (?) RETURNING id", (b"",))
        assert first is not None and second is not None and second[0] > first[0]
        assert bytes(tx.one("SELECT payload FROM extra WHERE id = ?", (first[0],))[0]) == b"\x00\xff"  # type: ignore[index]
    (own / "0099_extra.sql").write_text("CREATE TABLE extra (id {{id}});\n")
    with pytest.raises(MigrationError, match=r"0099_extra\.sql: changed after it was applied"):
        raw_store.migrate(own)


def test_misnamed_or_duplicate_migration_refused(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"1_bad\.sql: a migration file must be named"):
        discover(tmp_path)
    (tmp_path / "1_bad.sql").unlink()
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0001_b\.sql: version 0001 is already taken by 0001_a\.sql"):
        discover(tmp_path)


def test_failed_migration_applies_nothing(raw_store: Store, tmp_path: Path) -> None:
    own = tmp_path / "migrations"
    own.mkdir()
    (own / "0001_ok.sql").write_text("CREATE TABLE ok_table (id INTEGER PRIMARY KEY);\n")
    (own / "0002_broken.sql").write_text("INSERT INTO no_such_table VALUES (1);\n")
    with pytest.raises(Exception, match="no_such_table"):
        raw_store.migrate(own)
    (own / "0002_broken.sql").unlink()
    assert raw_store.migrate(own) == ["0001_ok.sql"]  # the first file was rolled back with the broken one


def test_concurrent_migrators_migrate_once(backend: str, tmp_path: Path, schema_name: str, raw_store: Store) -> None:
    stores = [make_store(backend, tmp_path, schema_name) for _ in range(4)]
    results, errors = run_threads(len(stores), lambda i: stores[i].migrate())
    for s in stores:
        s.close()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, len(discover())]


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        _merchant_row(tx, "m-rolled-back")
        assert tx.one("SELECT COUNT(*) FROM merchants") == (1,)
        raise RuntimeError("boom")
    with store.transaction(write=False) as tx:
        assert tx.one("SELECT id FROM merchants WHERE id = ?", ("m-rolled-back",)) is None


def _merchant_row(tx: Tx, merchant_id: str) -> None:
    tx.send(
        "INSERT INTO merchants (id, approval, per_card_daily_limit, daily_limit, ip_allowlist, created_at)"
        " VALUES (?, 'auto', 1, NULL, '[]', 0)",
        (merchant_id,),
        rows=1,
        link=f"insert {merchant_id}",
    )


def test_database_errors_roll_back_and_leave_the_store_usable(store: Store) -> None:
    with store.transaction() as tx:
        _merchant_row(tx, "m-dup")
    with pytest.raises(ConstraintViolation) as unsent, store.transaction() as tx:
        _merchant_row(tx, "m-new")
        _merchant_row(tx, "m-dup")  # an unread statement: its error surfaces at the latest at commit
    with pytest.raises(ConstraintViolation) as run, store.transaction() as tx:
        _merchant_row(tx, "m-new")
        tx.one(
            "INSERT INTO merchants (id, approval, per_card_daily_limit, daily_limit, ip_allowlist, created_at)"
            " VALUES ('m-dup', 'auto', 1, NULL, '[]', 0) RETURNING id"
        )
    with pytest.raises(ConstraintViolation) as null, store.transaction() as tx:
        _merchant_row(tx, "m-new")
        tx.send("UPDATE merchants SET per_card_daily_limit = NULL WHERE id = 'm-dup'", rows=1, link="null")
    with pytest.raises(ConstraintViolation) as check, store.transaction() as tx:
        tx.send("UPDATE merchants SET approval = 'sometimes' WHERE id = 'm-dup'", rows=1, link="bad approval")
    with pytest.raises(Exception, match="no_such_table"), store.transaction() as tx:
        tx.send("UPDATE no_such_table SET x = 1", rows=1, link="no table")  # other errors pass unchanged
    kinds = (unsent.value.kind, run.value.kind, null.value.kind, check.value.kind)
    assert kinds == ("unique", "unique", "not_null", "check")
    with store.transaction(write=False) as tx:
        assert tx.all("SELECT id, per_card_daily_limit FROM merchants ORDER BY id") == [("m-dup", 1)]


def test_sent_statements_are_seen_by_the_next_read_and_counted_updates(store: Store) -> None:
    with store.transaction() as tx:
        _merchant_row(tx, "m-a")
        _merchant_row(tx, "m-b")
        changed = tx.all("UPDATE merchants SET approval = 'manual' WHERE id IN ('m-a', 'm-b', 'm-c') RETURNING id")
        assert len(changed) == 2
        _merchant_row(tx, "m-c")
        assert tx.one("SELECT COUNT(*) FROM merchants WHERE id LIKE 'm-%'") == (3,)
        _merchant_row(tx, "m-d")  # committed with the transaction, never read inside it
    with store.transaction(write=False) as tx:
        assert tx.all("SELECT id, approval FROM merchants ORDER BY id") == [
            ("m-a", "manual"),
            ("m-b", "manual"),
            ("m-c", "auto"),
            ("m-d", "auto"),
        ]


def test_nested_transaction_refused_and_store_still_usable(store: Store) -> None:
    with store.transaction() as tx:
        with pytest.raises(NestedTransaction), store.transaction():
            pass
        assert tx.one("SELECT 1") == (1,)
    with store.transaction() as tx:
        assert tx.one("SELECT 2") == (2,)


def test_percent_literal_and_placeholders(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.one("SELECT ? || '%'", ("50",)) == ("50%",)


def test_a_link_that_changes_other_than_its_rows_fails_the_whole_chain(store: Store) -> None:
    """Tx.send(..., rows=n): the database refuses the link, so nothing sent before or after it is committed, and the
    error names the link; on PostgreSQL the refusal travels with the commit, in the same round trip."""
    with store.transaction() as tx:
        _merchant_row(tx, "m-a")
    for rows in (0, 2):
        with pytest.raises(BrokenLink) as broken, store.transaction() as tx:
            _merchant_row(tx, "m-b")
            tx.send("UPDATE merchants SET approval = 'manual' WHERE id = 'm-a'", rows=rows, link="approve m-a")
            _merchant_row(tx, "m-c")
        assert (broken.value.link, broken.value.rows) == ("approve m-a", rows)
        assert _ids(store) == ["m-a"]
    with store.transaction() as tx:
        tx.send("SELECT id FROM merchants WHERE id = 'm-a'", rows=1, link="m-a exists")  # a check that finds a row
        tx.send("UPDATE merchants SET approval = 'manual' WHERE id = 'm-a'", rows=1, link="approve m-a")
    with store.transaction(write=False) as tx:
        assert tx.one("SELECT approval FROM merchants WHERE id = 'm-a'") == ("manual",)


def test_a_probe_breaks_any_named_link(store: Store) -> None:
    store.probe = ChainProbe(broken="insert m-b")
    with pytest.raises(BrokenLink, match="insert m-b"), store.transaction() as tx:
        _merchant_row(tx, "m-a")
        _merchant_row(tx, "m-b")
    assert store.probe.seen == ["insert m-a", "insert m-b"]
    assert _ids(store) == []


def test_open_store_refuses_schema_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only PostgreSQL"):
        open_store(tmp_path / "x.db", schema="s")


def test_postgres_schema_name_is_checked() -> None:
    with pytest.raises(ValueError, match="schema='bad;drop'"):
        open_store("postgresql://u:p@127.0.0.1/db", schema="bad;drop")


def _ids(store: Store) -> list[str]:
    with store.transaction(write=False) as tx:
        return [str(r[0]) for r in tx.all("SELECT id FROM merchants ORDER BY id")]


def test_batched_transactions_each_commit_on_their_own(store: Store) -> None:
    with store.transactions() as batch:
        reads = []
        for merchant_id in ("m-a", "m-b", "m-c"):
            with batch.transaction() as tx:
                _merchant_row(tx, merchant_id)
                reads.append(tx.defer("SELECT COUNT(*) FROM merchants WHERE id LIKE 'm-%'"))
    assert [r.rows() for r in reads] == [[(1,)], [(2,)], [(3,)]]  # one after the other, each seeing the earlier
    assert batch.committed == 3
    assert _ids(store) == ["m-a", "m-b", "m-c"]


def test_an_error_in_a_batch_keeps_the_earlier_transactions_and_sends_no_later_one(store: Store) -> None:
    with store.transaction() as tx:
        _merchant_row(tx, "m-dup")
    with pytest.raises(ConstraintViolation), store.transactions() as batch:
        for merchant_id in ("m-a", "m-dup", "m-c"):
            with batch.transaction() as tx:
                _merchant_row(tx, f"{merchant_id}-first")
                _merchant_row(tx, merchant_id)
    assert _ids(store) == ["m-a", "m-a-first", "m-dup"]  # m-dup-first rolled back with its transaction
    assert batch.committed == 1
    with pytest.raises(ConstraintViolation), store.transactions() as batch:  # the last one, sent without BEGIN
        with batch.transaction() as tx:
            _merchant_row(tx, "m-b")
        with batch.transaction() as tx:
            _merchant_row(tx, "m-z")
            _merchant_row(tx, "m-dup")
    assert _ids(store) == ["m-a", "m-a-first", "m-b", "m-dup"]
    assert batch.committed == 1
    with store.transactions() as batch, batch.transaction() as tx:  # the store is usable again
        _merchant_row(tx, "m-y")
    assert "m-y" in _ids(store)


def test_a_batched_transaction_cannot_read_before_the_batch_is_sent(store: Store) -> None:
    if store.name == "sqlite":
        pytest.skip("SQLite runs each batched transaction at once: its reads are answered")
    with pytest.raises(BatchedRead), store.transactions() as batch, batch.transaction() as tx:
        tx.one("SELECT 1")


def test_an_exception_while_building_a_batch(store: Store) -> None:
    with pytest.raises(ValueError, match="no more"), store.transactions() as batch:
        with batch.transaction() as tx:
            _merchant_row(tx, "m-a")
        raise ValueError("no more")
    assert _ids(store) == ([] if store.name == "postgres" else ["m-a"])  # PostgreSQL had sent nothing yet
