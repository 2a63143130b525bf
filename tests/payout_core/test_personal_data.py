"""Personal data at rest and in evidence, on both back ends: recipients sealed (read the raw rows), keyed card
counts, keys that fail closed, rotation with `keys rewrap`, and masking of every spelling in stored evidence."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import random
import re
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from payout_core.cli import app
from payout_core.dispatch import ChannelRequest, Dispatcher, Payout
from payout_core.keys import CARD_SECRET, DATA_KEYS, Keyring, MissingKeys, UnreadableData
from payout_core.orders import Merchant, Order, PayoutEngine
from payout_core.store import Store
from tests.fakechannel.adapter import FakeChannelAdapter
from tests.fakechannel.bench import Bench

from .builders import ADMIN, OPERATOR, Clock, hire_staff, new_key, recipient, store_url

runner = CliRunner()
SPACED_PAN = "6222 0212 3456 7890 128"
SECRET = os.urandom(32)
GOOD_SECRET = base64.b64encode(SECRET).decode()
# What must never be found in a stored row: the card, ID and mobile numbers as digits, and the payee's name.
PERSONAL = ("6222021234567890128", "11010519491231002", "13800138000", "19491231", "张三")


def keyring(*ids: str, secret: bytes = SECRET) -> Keyring:
    return Keyring([(i, hashlib.sha256(f"test key {i}".encode()).digest()) for i in ids], secret)


def env_of(keys: Keyring, *ids: str) -> dict[str, str]:
    """The environment that configures `ids` of keyring() and its secret."""
    entries = [f"{i}:{base64.b64encode(hashlib.sha256(f'test key {i}'.encode()).digest()).decode()}" for i in ids]
    return {DATA_KEYS: ",".join(entries), CARD_SECRET: base64.b64encode(SECRET).decode()}


def raw_rows(store: Store, table: str) -> str:
    """Every row of `table` as the database holds it, as one text."""
    with store.transaction(write=False) as tx:
        return repr(tx.all(f"SELECT * FROM {table}"))


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def submitted(engine: PayoutEngine, numbers: list[str], account_no: str = SPACED_PAN) -> list[Order]:
    return [engine.submit("m1", no, recipient(1_000, account_no=account_no)) for no in numbers]


# --- keys that fail closed -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "variable", "rule"),
    [
        ({}, DATA_KEYS, "not set"),
        ({DATA_KEYS: "k1:" + base64.b64encode(bytes(32)).decode()}, CARD_SECRET, "not set"),
        ({DATA_KEYS: "k1:not base64!", CARD_SECRET: GOOD_SECRET}, DATA_KEYS, "base64"),
        ({DATA_KEYS: "k1:" + base64.b64encode(bytes(16)).decode(), CARD_SECRET: GOOD_SECRET}, DATA_KEYS, "32 bytes"),
        ({DATA_KEYS: " , ", CARD_SECRET: GOOD_SECRET}, DATA_KEYS, "names no key"),
        ({DATA_KEYS: "nokeyid", CARD_SECRET: GOOD_SECRET}, DATA_KEYS, "id:base64"),
        ({DATA_KEYS: "x", f"{DATA_KEYS}_FILE": "/k"}, DATA_KEYS, "not both"),
        ({f"{DATA_KEYS}_FILE": "/nonexistent/keys"}, f"{DATA_KEYS}_FILE", "cannot read"),
    ],
)
def test_missing_or_unusable_keys_fail_closed_naming_the_variable(
    environ: dict[str, str], variable: str, rule: str
) -> None:
    with pytest.raises(MissingKeys) as refused:
        Keyring.from_env(environ)
    assert refused.value.variable == variable and str(refused.value).startswith(f"{variable}: ")
    assert rule in str(refused.value)


def test_empty_key_files_fail_closed(tmp_path: Path) -> None:
    empty, comments = tmp_path / "empty", tmp_path / "comments"
    empty.write_text("")
    comments.write_text("# the keys were to go here\n   \n")
    for path in (empty, comments):
        with pytest.raises(MissingKeys, match=f"^{DATA_KEYS}_FILE: names no key"):
            Keyring.from_env({f"{DATA_KEYS}_FILE": str(path), CARD_SECRET: GOOD_SECRET})
        with pytest.raises(MissingKeys, match=f"^{CARD_SECRET}_FILE: must hold exactly one secret"):
            Keyring.from_env({DATA_KEYS: Keyring.new_data_key("k1"), f"{CARD_SECRET}_FILE": str(path)})


def test_a_short_card_secret_fails_closed() -> None:
    environ = env_of(keyring("k1"), "k1") | {CARD_SECRET: base64.b64encode(bytes(16)).decode()}
    with pytest.raises(MissingKeys, match=f"^{CARD_SECRET}: the secret must be at least 32 bytes"):
        Keyring.from_env(environ)


def test_keys_from_files_seal_what_they_open(tmp_path: Path) -> None:
    keys_file, secret_file = tmp_path / "data.keys", tmp_path / "card.secret"
    keys_file.write_text(f"# newest first\n{Keyring.new_data_key('k2')}\n\n{Keyring.new_data_key('k1')}\n")
    secret_file.write_text(Keyring.new_card_secret() + "\n")
    keys = Keyring.from_env({f"{DATA_KEYS}_FILE": str(keys_file), f"{CARD_SECRET}_FILE": str(secret_file)})
    sealed = keys.seal(b"6222021234567890128", "row 1")
    assert sealed.startswith("pc1:k2:") and keys.current_prefix == "pc1:k2:"
    assert keys.open(sealed, "row 1") == b"6222021234567890128"
    with pytest.raises(UnreadableData, match="sealed for another row"):
        keys.open(sealed, "row 2")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(UnreadableData):
        keys.open(tampered, "row 1")


def test_an_engine_without_keys_refuses_to_start(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (DATA_KEYS, f"{DATA_KEYS}_FILE", CARD_SECRET, f"{CARD_SECRET}_FILE"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(MissingKeys, match=f"^{DATA_KEYS}: not set"):
        PayoutEngine(store)


def test_keys_new_prints_usable_fresh_keys() -> None:
    first, second = (runner.invoke(app, ["keys", "new", "--id", "2026-12"]) for _ in range(2))
    secret = runner.invoke(app, ["keys", "new", "--card-secret"])
    assert first.exit_code == second.exit_code == secret.exit_code == 0
    assert first.output.startswith("2026-12:") and first.output != second.output
    keys = Keyring.from_env({DATA_KEYS: first.output.strip(), CARD_SECRET: secret.output.strip()})
    assert keys.current == "2026-12"
    assert runner.invoke(app, ["keys", "new"]).exit_code == 2


# --- sealed at rest ------------------------------------------------------------------------------------------


def test_recipients_are_sealed_and_card_keys_keyed(funded: PayoutEngine) -> None:
    """The raw row holds no card, ID or mobile number and no name; the card key is an HMAC under the secret."""
    (order,) = submitted(funded, ["P1"])
    with funded.store.transaction(write=False) as tx:
        ((stored, key),) = tx.all("SELECT recipient, card_key FROM orders WHERE id = ?", (order.id,))
    assert stored.startswith(funded.keys.current_prefix)
    assert not any(p in raw_rows(funded.store, "orders") for p in PERSONAL)
    secret = base64.b64decode(os.environ[CARD_SECRET])
    assert key == hmac.new(secret, b"6222021234567890128", hashlib.sha256).hexdigest()
    assert key != hashlib.sha256(b"6222021234567890128").hexdigest()
    assert funded.get(order.id).recipient == recipient(1_000, account_no=SPACED_PAN)


def test_sealed_recipients_do_not_open_without_their_key_or_in_another_row(funded: PayoutEngine) -> None:
    first, second = submitted(funded, ["P1", "P2"])
    stranger = PayoutEngine(funded.store, keys=keyring("other"))
    with pytest.raises(UnreadableData, match="which is not configured"):
        stranger.get(first.id)
    # Someone with write access to the table moves a payee to another order: it no longer opens anywhere else.
    with funded.store.transaction() as tx:
        tx.send(
            "UPDATE orders SET recipient = (SELECT recipient FROM orders WHERE id = ?) WHERE id = ?",
            (first.id, second.id),
            rows=1,
            link="test: move a sealed payee",
        )
    with pytest.raises(UnreadableData, match="sealed for another row"):
        funded.get(second.id)


def test_rotation_then_rewrap_leaves_every_recipient_readable_under_the_new_key_alone(
    store: Store, clock: Clock, tmp_path: Path, schema_name: str
) -> None:
    hire_staff(store, clock)
    old = PayoutEngine(store, clock=clock, keys=keyring("old"))
    old.add_merchant(Merchant(id="m1", approval="manual"), actor=ADMIN)
    old.deposit("m1", 1_000_000, key=new_key(), actor=OPERATOR)
    orders = submitted(old, ["R1", "R2", "R3"])
    # One row from before recipients were sealed: plain JSON, which rewrap seals too.
    legacy = msgspec.json.encode(orders[2].recipient).decode()
    with store.transaction() as tx:
        tx.send("UPDATE orders SET recipient = ? WHERE id = ?", (legacy, orders[2].id), rows=1, link="test: legacy")
    with pytest.raises(UnreadableData, match="not a sealed value"):  # read nowhere but by rewrap: fails closed
        old.get(orders[2].id)

    url = store_url(store, tmp_path, schema_name)
    rotated = runner.invoke(
        app, ["keys", "rewrap", "--store", url, "--batch", "2", "--json"], env=env_of(old.keys, "new", "old")
    )
    assert rotated.exit_code == 0, rotated.output
    assert msgspec.json.decode(rotated.output) == {"resealed": 3, "key": "new"}
    with store.transaction(write=False) as tx:
        stored = [r for (r,) in tx.all("SELECT recipient FROM orders ORDER BY id")]
    assert all(s.startswith("pc1:new:") for s in stored) and not any(p in repr(stored) for p in PERSONAL)

    new_only = PayoutEngine(store, clock=clock, keys=keyring("new"))
    assert [new_only.get(o.id).recipient for o in orders] == [o.recipient for o in orders]
    with pytest.raises(UnreadableData, match="sealed with key 'new', which is not configured"):
        old.get(orders[0].id)
    again = runner.invoke(app, ["keys", "rewrap", "--store", url], env=env_of(new_only.keys, "new"))
    assert again.exit_code == 0 and "0 recipients sealed again under key new" in again.output


def test_rewrap_without_the_old_key_refuses_and_changes_nothing(funded: PayoutEngine) -> None:
    submitted(funded, ["W1"])
    before = raw_rows(funded.store, "orders")
    with pytest.raises(UnreadableData):
        PayoutEngine(funded.store, keys=keyring("new")).rewrap()
    assert raw_rows(funded.store, "orders") == before


def test_rewrap_from_the_shell_without_keys_names_the_variable(store: Store, tmp_path: Path, schema_name: str) -> None:
    done = runner.invoke(
        app, ["keys", "rewrap", "--store", store_url(store, tmp_path, schema_name)], env={DATA_KEYS: ""}
    )
    assert done.exit_code == 1 and f"error: {DATA_KEYS}: names no key" in done.output


# --- evidence --------------------------------------------------------------------------------------------------


class TalkativeAdapter(FakeChannelAdapter):
    """A channel whose payout request carries the card again as printed on a slip, and the payee's ID and mobile
    numbers, spelt as people type them."""

    def dispatch_request(self, payout: Payout) -> ChannelRequest:
        request = super().dispatch_request(payout)
        extra = {"card_printed": "6222-0212-3456-7890-128", "id_no": "110105 19491231 002X", "mobile": "138-0013-8000"}
        body = msgspec.json.decode(request.body) | extra
        return ChannelRequest(url=request.url, body=msgspec.json.encode(body), headers=request.headers)


def test_evidence_masks_separated_cards_id_numbers_and_mobiles(bench: Bench) -> None:
    order = bench.routed("E1", recipient(1_000), "success", random.Random(1))
    adapter = TalkativeAdapter(bench.fake.base_url, "fake", account=bench.accounts["fake"])
    dispatcher = Dispatcher(bench.engine, {"fake": adapter}, bench.client, policy=bench.policy, clock=bench.clock)
    dispatcher.dispatch(order.id)
    stored = raw_rows(bench.store, "dispatch_evidence")
    assert "622202*********0128" in stored and "110105********002X" in stored and "138****8000" in stored
    assert not any(p in stored or p in digits(stored) for p in PERSONAL[:3])
    assert f"'{order.channel_order_no}'" in stored or f'"{order.channel_order_no}"' in stored
    assert bench.engine.get(order.id).state == "succeeded"
