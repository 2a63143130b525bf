"""Actors, roles and the append-only audit log, on both back ends, through the API and the command line."""

from __future__ import annotations

from pathlib import Path

import msgspec
import psycopg
import pytest
from typer.testing import CliRunner

from payout_core.audit import (
    ActorExists,
    Actors,
    AlreadyBootstrapped,
    NotPermitted,
    UnknownActor,
    entries,
    record,
)
from payout_core.cli import app
from payout_core.errors import InvalidInput
from payout_core.store import ConstraintViolation, Store

from .builders import Clock, store_url

APPEND_ONLY = ("audit_log", "ledger_entries", "dispatch_evidence", "review_log")
runner = CliRunner()


@pytest.fixture
def actors(store: Store, clock: Clock) -> Actors:
    a = Actors(store, clock=clock)
    a.bootstrap("root", "Root Admin")
    a.add("alice", "Alice", ["approver", "operator"], by="root")
    return a


def audit_rows(store: Store) -> list[tuple[str, str, str]]:
    with store.transaction(write=False) as tx:
        return [(e.actor, e.action, e.subject) for e in entries(tx, limit=1000)]


def test_every_change_of_actors_is_audited_with_before_and_after(actors: Actors, store: Store, clock: Clock) -> None:
    actors.grant("alice", "submitter", by="root")
    actors.grant("alice", "submitter", by="root")  # held already: nothing changes, nothing is written
    actors.revoke("alice", "operator", by="root")
    actors.set_active("alice", False, by="root")
    assert actors.get("alice").roles == ("submitter", "approver") and not actors.get("alice").active
    assert audit_rows(store) == [
        ("root", "actor.bootstrap", "actor:root"),
        ("root", "actor.add", "actor:alice"),
        ("root", "actor.grant", "actor:alice"),
        ("root", "actor.revoke", "actor:alice"),
        ("root", "actor.deactivate", "actor:alice"),
    ]
    with store.transaction(write=False) as tx:
        revoke = entries(tx, action="actor.revoke")[0]
        assert [e.action for e in entries(tx, subject="actor:alice", limit=2)] == ["actor.revoke", "actor.deactivate"]
        assert len(entries(tx, action="actor")) == 5 and entries(tx, action="act") == []  # a kind, not a prefix
    assert revoke.before == {"name": "Alice", "active": True, "roles": ["submitter", "approver", "operator"]}
    assert revoke.after == {"name": "Alice", "active": True, "roles": ["submitter", "approver"]}
    assert revoke.at == clock()


def test_only_an_active_admin_changes_actors_and_a_refusal_writes_nothing(actors: Actors, store: Store) -> None:
    before = audit_rows(store)
    with pytest.raises(NotPermitted, match=r"actor='alice': may not act as admin: the actor holds approver, operator"):
        actors.add("bob", "Bob", ["approver"], by="alice")
    with pytest.raises(NotPermitted, match="no such actor"):
        actors.grant("alice", "admin", by="mallory")
    actors.add("second", "Second Admin", ["admin"], by="root")
    actors.set_active("root", False, by="second")
    with pytest.raises(NotPermitted, match="deactivated"):
        actors.grant("alice", "admin", by="root")
    with pytest.raises(UnknownActor):
        actors.grant("nobody", "approver", by="second")
    with pytest.raises(ActorExists):
        actors.add("alice", "Alice again", [], by="second")
    with pytest.raises(InvalidInput, match="their own admin role"):
        actors.revoke("second", "admin", by="second")
    with pytest.raises(InvalidInput, match="not 'auto'"):
        actors.add("auto", "Auto", ["approver"], by="second")
    with pytest.raises(InvalidInput, match="role='owner'"):
        actors.add("bob", "Bob", ["owner"], by="second")
    assert audit_rows(store) == [
        *before,
        ("root", "actor.add", "actor:second"),
        ("second", "actor.deactivate", "actor:root"),
    ]
    assert actors.get("alice").roles == ("approver", "operator")


def test_the_first_admin_is_bootstrapped_once(actors: Actors) -> None:
    with pytest.raises(AlreadyBootstrapped):
        actors.bootstrap("eve", "Eve")
    with pytest.raises(UnknownActor):
        actors.get("eve")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_tables_refuse_update_and_delete(store: Store, actors: Actors, table: str) -> None:
    """The database itself refuses: no code path, however written, rewrites history."""
    fill = {
        "dispatch_evidence": "INSERT INTO dispatch_evidence (order_id, channel, channel_order_no, kind, url,"
        " request_body, sent_at, received_at, latency_ms, outcome) VALUES (1, 'c', 'n', 'query', 'u', '', 0, 0, 0, '')",
        "review_log": "INSERT INTO review_log (order_id, action, actor, detail, at) VALUES (1, 'opened', 'a', 'd', 0)",
    }
    if table in fill:
        _insert_without_keys(store, fill[table])
    elif table == "ledger_entries":
        from payout_core.ledger import MERCHANT_DEPOSITS, Transfer, merchant_account, open_merchant_accounts, post

        with store.transaction() as tx:
            open_merchant_accounts(tx, "m1", 0)
            post(tx, [Transfer(MERCHANT_DEPOSITS, merchant_account("m1", "available"), 5)], kind="deposit", at=0)
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with (
            pytest.raises(ConstraintViolation, match=f"{table} is append-only") as refused,
            store.transaction() as tx,
        ):
            tx.send(statement, rows=None, link="rewrite history")
        assert refused.value.kind == "append_only"
    if store.name == "postgres":
        with pytest.raises(ConstraintViolation, match="append-only"), store.transaction() as tx:
            tx.send(f"TRUNCATE {table}", rows=None, link="rewrite history")
    with store.transaction(write=False) as tx:
        assert tx.one(f"SELECT COUNT(*) FROM {table}")[0] > 0  # type: ignore[index]


def _insert_without_keys(store: Store, sql: str) -> None:
    """A row that names no real order: the foreign keys are switched off for it (the test is about the trigger)."""
    if store.name == "sqlite":
        import sqlite3

        conn = sqlite3.connect(store.dialect.path)  # type: ignore[attr-defined]
        conn.execute(sql)
        conn.commit()
        conn.close()
        return
    with psycopg.connect(store.dialect.dsn, autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f"SET search_path TO {store.dialect.schema}")  # type: ignore[attr-defined]
        conn.execute("SET session_replication_role = replica")  # no foreign key checks for this session
        conn.execute(sql)


def test_an_audit_row_commits_only_with_its_change(store: Store, actors: Actors, clock: Clock) -> None:
    before = audit_rows(store)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        record(tx, actor="alice", action="merchant.deposit", subject="merchant:m1", before=None, after={}, at=clock())
        raise RuntimeError("the change fails after its row was sent")
    with pytest.raises(ConstraintViolation), store.transaction() as tx:  # an actor that does not exist
        record(tx, actor="ghost", action="merchant.deposit", subject="merchant:m1", before=None, after={}, at=clock())
    assert audit_rows(store) == before
    with pytest.raises(InvalidInput, match=r"kind\.verb"), store.transaction() as tx:
        record(tx, actor="alice", action="Deposit", subject="merchant:m1", before=None, after=None, at=clock())
    with store.transaction() as tx:
        record(
            tx,
            actor="alice",
            action="merchant.deposit",
            subject="merchant:m1",
            before=None,
            after={"amount": 10**15},
            at=clock(),
            reason="bank slip for card 6222 0212 3456 7890 128, call 13800138000",
        )
    with store.transaction(write=False) as tx:
        row = entries(tx, action="merchant.deposit")[0]
    assert row.after == {"amount": 10**15}  # amounts are not mistaken for card numbers: only free text is masked
    assert row.reason == "bank slip for card 622202*********0128, call 138****8000"


def test_command_line_actors_and_audit_list(store: Store, tmp_path: Path, schema_name: str) -> None:
    url = store_url(store, tmp_path, schema_name)
    done = runner.invoke(app, ["actors", "bootstrap", "root", "--name", "Root", "--store", url])
    assert done.exit_code == 0, done.output
    add = ["actors", "add", "alice", "--name", "Alice", "--role", "approver", "--store", url, "--json"]
    refused = runner.invoke(app, [*add, "--actor", "alice"])
    assert refused.exit_code == 1 and "may not act as admin: no such actor" in refused.stderr
    added = runner.invoke(app, add, input="root\n")  # the actor is asked for when not given
    assert added.exit_code == 0, added.output
    assert '"roles": [\n    "approver"\n  ]' in added.stdout
    bad = runner.invoke(app, ["actors", "grant", "alice", "owner", "--store", url, "--actor", "root"])
    assert bad.exit_code == 2 and "role='owner'" in bad.stderr
    listed = runner.invoke(app, ["audit", "list", "--store", url, "--json", "--by", "root"])
    rows = msgspec.json.decode(listed.stdout)
    assert [(r["actor"], r["action"], r["subject"]) for r in rows] == [
        ("root", "actor.bootstrap", "actor:root"),
        ("root", "actor.add", "actor:alice"),
    ]
    table = runner.invoke(app, ["audit", "list", "--store", url, "--action", "actor.add"])
    assert table.exit_code == 0 and "actor:alice" in table.stdout and "roles: — → ['approver']" in table.stdout
    bad_day = runner.invoke(app, ["audit", "list", "--store", url, "--since", "yesterday"])
    assert bad_day.exit_code == 2 and "since='yesterday'" in bad_day.stderr
