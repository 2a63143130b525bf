"""Limits on both back ends: per card per day, per merchant per day, business days, releases, the IP allowlist."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, datetime

import pytest

from cardbin.pan import mask
from payout_core.audit import NotPermitted
from payout_core.errors import InvalidInput
from payout_core.keys import Keyring
from payout_core.limits import CallerNotAllowed, LimitExceeded, business_day, card_key, used
from payout_core.orders import Merchant, PayoutEngine, UnknownMerchant
from payout_core.routing import ChannelRoute

from .builders import ADMIN, OPERATOR, Clock, new_key, recipient, run_threads

PAN = "6222021234567890128"
OTHER = "6222021234567890136"


@pytest.fixture
def limited(engine: PayoutEngine) -> PayoutEngine:
    engine.add_merchant(
        Merchant(id="m1", approval="manual", per_card_daily_limit=1_000, daily_limit=2_500, ip_allowlist=()),
        actor=ADMIN,
    )
    return engine


def card_used(engine: PayoutEngine, account_no: str, day: str) -> int:
    with engine.store.transaction(write=False) as tx:
        return used(tx, "card", "m1", card_key(engine.keys, account_no), day)


def test_business_day_is_beijing_time() -> None:
    assert business_day(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC)) == "2026-03-01"
    assert business_day(datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC)) == "2026-03-02"


def test_card_limit_per_day(limited: PayoutEngine, clock: Clock) -> None:
    first = limited.submit("m1", "a", recipient(600))
    with pytest.raises(LimitExceeded) as err:
        limited.submit("m1", "b", recipient(401))
    message = str(err.value)
    assert PAN not in message and mask(PAN) in message
    assert (err.value.scope, err.value.limit, err.value.used, err.value.amount) == ("card", 1_000, 600, 401)
    assert limited.find("m1", "b") is None  # refused: nothing created
    assert limited.submit("m1", "c", recipient(400)).amount == 400  # exactly up to the limit
    with pytest.raises(LimitExceeded, match="has used 0 of 1000"):
        limited.submit("m1", "big", recipient(1_001, account_no="6222021234567890144"))  # one payout over it
    assert limited.submit("m1", "d", recipient(900, account_no=OTHER)).amount == 900  # another card
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # midnight in Beijing: a new day
    assert limited.submit("m1", "e", recipient(1_000)).business_day == "2026-03-03"
    assert card_used(limited, PAN, first.business_day) == 1_000


def test_card_key_ignores_how_the_number_was_typed() -> None:
    keys = Keyring.from_env()
    assert card_key(keys, "6222 0212 3456 7890 128") == card_key(keys, PAN)
    assert card_key(keys, PAN) == card_key(keys, "６２２２０２１２３４５６７８９０１２８")
    assert card_key(keys, OTHER) != card_key(keys, PAN)


def test_card_key_is_keyed_by_the_secret() -> None:
    """Without the secret the key of a card cannot be found by hashing every number of its BIN."""
    keys = Keyring.from_env()
    other = Keyring([("k", bytes(32))], b"another secret, also 32 bytes long")
    assert card_key(keys, PAN) != card_key(other, PAN)
    assert card_key(keys, PAN) != hashlib.sha256(PAN.encode()).hexdigest()


def test_merchant_limit_per_day(limited: PayoutEngine) -> None:
    cards = [OTHER, PAN, "6222021234567890144"]
    limited.submit("m1", "a", recipient(1_000, account_no=cards[0]))
    limited.submit("m1", "b", recipient(1_000, account_no=cards[1]))
    with pytest.raises(LimitExceeded, match="merchant daily limit: m1 on 2026-03-02 has used 2000 of 2500"):
        limited.submit("m1", "c", recipient(501, account_no=cards[2]))
    assert card_used(limited, cards[2], "2026-03-02") == 0  # the card counter raised with it was rolled back
    assert limited.submit("m1", "c", recipient(500, account_no=cards[2])).amount == 500


def test_reject_and_explicit_failure_give_the_limit_back(limited: PayoutEngine) -> None:
    limited.deposit("m1", 10_000, key=new_key(), actor=OPERATOR)
    limited.add_channel(ChannelRoute(name="wx", profile="wechat_bank"), actor=ADMIN)
    limited.fund_channel("wx", 10_000, key=new_key(), actor=OPERATOR)
    rejected = limited.submit("m1", "a", recipient(1_000))
    limited.reject(rejected.id, "alice", "duplicate request")
    failed = limited.approve(limited.submit("m1", "b", recipient(1_000)).id, "alice")
    limited.route(failed.id, random.Random(0))
    limited.mark_dispatching(failed.id)
    with pytest.raises(LimitExceeded):
        limited.submit("m1", "c", recipient(1))  # in flight: still counted
    limited.mark_failed(failed.id, code="FAILED", reason="account closed")
    assert card_used(limited, PAN, failed.business_day) == 0
    assert limited.submit("m1", "c", recipient(1_000)).state == "created"


def test_concurrent_submissions_cannot_overrun_a_limit(limited: PayoutEngine) -> None:
    accepted, refused = run_threads(8, lambda i: limited.submit("m1", f"o{i}", recipient(300)))
    assert len(accepted) == 3 and len(refused) == 5
    assert all(isinstance(e, LimitExceeded) for e in refused)
    assert len(limited.orders_in("created")) == 3
    assert card_used(limited, PAN, "2026-03-02") == 900


def test_ip_allowlist(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="m1", ip_allowlist=("10.1.0.0/16", "2001:db8::1")), actor=ADMIN)
    assert engine.submit("m1", "a", recipient(), client_ip="10.1.200.3").state == "created"
    assert engine.submit("m1", "b", recipient(), client_ip="2001:db8::1").state == "created"
    refusal = re.escape("client_ip='10.2.0.1': not in the API allowlist of merchant 'm1'")
    with pytest.raises(CallerNotAllowed, match=refusal):
        engine.submit("m1", "c", recipient(), client_ip="10.2.0.1")
    with pytest.raises(InvalidInput, match="client_ip='not-an-ip'"):
        engine.submit("m1", "c", recipient(), client_ip="not-an-ip")
    assert engine.find("m1", "c") is None
    with pytest.raises(CallerNotAllowed, match=re.escape("client_ip=None: merchant 'm1' has an API allowlist")):
        engine.submit("m1", "c", recipient())  # no address where an allowlist exists: fails closed
    with pytest.raises(CallerNotAllowed, match="client_ip=None"):
        engine.submit_many("m1", [("c", recipient())])
    assert engine.find("m1", "c") is None
    by_staff = engine.submit("m1", "c", recipient(), submitter="sam")  # a person who holds the submitter role
    assert (by_staff.state, by_staff.submitted_by) == ("created", "sam")
    with pytest.raises(NotPermitted, match="actor='alice': may not act as submitter"):
        engine.submit("m1", "d", recipient(), submitter="alice")
    assert engine.find("m1", "d") is None


def test_empty_allowlist_refuses_every_api_caller(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="m1"), actor=ADMIN)
    with pytest.raises(CallerNotAllowed):
        engine.submit("m1", "a", recipient(), client_ip="127.0.0.1")


def test_bad_merchant_configuration_refused(engine: PayoutEngine) -> None:
    with pytest.raises(InvalidInput, match=re.escape("ip_allowlist='10.0.0.0/33'")):
        engine.add_merchant(Merchant(id="m1", ip_allowlist=("10.0.0.0/33",)), actor=ADMIN)
    with pytest.raises(InvalidInput, match="per_card_daily_limit='0'"):
        engine.add_merchant(Merchant(id="m1", per_card_daily_limit=0), actor=ADMIN)
    with pytest.raises(InvalidInput, match="daily_limit='-5'"):
        engine.add_merchant(Merchant(id="m1", daily_limit=-5), actor=ADMIN)
    with pytest.raises(InvalidInput, match="id='a:b'"):
        engine.add_merchant(Merchant(id="a:b"), actor=ADMIN)
    engine.add_merchant(Merchant(id="m1", per_card_daily_limit=5), actor=ADMIN)
    engine.add_merchant(
        Merchant(id="m1", per_card_daily_limit=7, approval="auto"), actor=ADMIN
    )  # reconfigured in place
    assert engine.merchant("m1") == Merchant(id="m1", per_card_daily_limit=7, approval="auto")


# --- a merchant's batch (submit_many): the outcome of submitting one after the other ---------------------------


def test_submit_many_counts_every_order_and_approves_for_an_auto_merchant(engine: PayoutEngine) -> None:
    engine.add_merchant(
        Merchant(id="m1", approval="auto", per_card_daily_limit=1_000, ip_allowlist=("10.0.0.0/8",)), actor=ADMIN
    )
    items = [(f"b{i}", recipient(300, account_no=card)) for i, card in enumerate([PAN, OTHER, PAN])]
    orders = engine.submit_many("m1", items, client_ip="10.1.2.3")
    assert [(o.merchant_order_no, o.amount, o.state) for o in orders] == [(no, 300, "approved") for no, _ in items]
    assert [engine.get(o.id) for o in orders] == orders
    assert card_used(engine, PAN, orders[0].business_day) == 600
    assert engine.submit_many("m1", items, client_ip="10.1.2.3") == orders  # a replay: the same orders, counted once
    assert card_used(engine, PAN, orders[0].business_day) == 600
    with pytest.raises(CallerNotAllowed):
        engine.submit_many("m1", [("b9", recipient(1))], client_ip="192.168.0.1")
    assert engine.submit_many("m1", []) == []


def test_submit_many_stops_at_a_refusal_like_one_after_the_other(limited: PayoutEngine) -> None:
    first = limited.submit("m1", "a", recipient(400))
    batch = [
        ("z", recipient(100, account_no=OTHER)),  # committed in the batch before the replay fails its transaction
        ("a", recipient(400)),  # a replay: the existing order
        ("b", recipient(500)),
        ("c", recipient(200)),  # 400 + 500 + 200 passes the card's 1,000
        ("d", recipient(100, account_no=OTHER)),
    ]
    with pytest.raises(LimitExceeded, match="has used 900 of 1000"):
        limited.submit_many("m1", batch)
    assert limited.find("m1", "a") == first
    assert limited.find("m1", "b") is not None
    assert limited.find("m1", "c") is None and limited.find("m1", "d") is None
    assert card_used(limited, PAN, first.business_day) == 900
    assert limited.find("m1", "z") is not None and card_used(limited, OTHER, first.business_day) == 100  # once


def test_submit_many_refuses_bad_input_or_an_unknown_merchant_before_writing(limited: PayoutEngine) -> None:
    with pytest.raises(InvalidInput, match="amount"):
        limited.submit_many("m1", [("a", recipient(100)), ("b", recipient(0))])
    with pytest.raises(UnknownMerchant):
        limited.submit_many("nobody", [("a", recipient(100))])
    assert limited.find("m1", "a") is None
    with limited.store.transaction(write=False) as tx:
        assert tx.all("SELECT COUNT(*) FROM orders") == [(0,)] and tx.all("SELECT COUNT(*) FROM daily_usage") == [(0,)]
