"""Routing on both back ends: eligibility from the real channel profiles, weighted seeded choice, failures recorded."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from msgspec.structs import replace

from payout_core.channels import UnknownChannel, channel
from payout_core.ledger import channel_account, merchant_account
from payout_core.orders import Merchant, PayoutEngine
from payout_core.routing import ChannelRoute, choose, choose_eligible, refusals
from payout_core.validation import validate

from .conftest import recipient, run_threads

PAN = "6222021234567890128"


@pytest.fixture
def shop(engine: PayoutEngine) -> PayoutEngine:
    """Auto-approving merchant with plenty of money; channels added per test."""
    engine.add_merchant(Merchant(id="m1", approval="auto", per_card_daily_limit=10**12))
    engine.deposit("m1", 10**10)
    return engine


def add(
    engine: PayoutEngine, name: str, profile: str, *, weight: int = 1, funds: int = 10**9, active: bool = True
) -> None:
    engine.add_channel(ChannelRoute(name=name, profile=profile, weight=weight, active=active))
    if funds:
        engine.fund_channel(name, funds)


def pick(routes: list[ChannelRoute], rng: random.Random) -> str:
    chosen = choose(routes, rng)
    assert chosen is not None
    return chosen.name


def test_weighted_choice_follows_the_weights() -> None:
    routes = [ChannelRoute(name=n, profile="generic", weight=w) for n, w in (("a", 1), ("b", 3), ("c", 6), ("z", 0))]
    rng = random.Random(2024)
    counts = Counter(pick(routes, rng) for _ in range(20_000))
    assert "z" not in counts
    for name, weight in (("a", 1), ("b", 3), ("c", 6)):
        assert abs(counts[name] / 20_000 - weight / 10) < 0.015, (name, counts)
    assert choose([ChannelRoute(name="z", profile="generic", weight=0)], rng) is None


def test_choice_among_eligible_keeps_the_weights_of_the_eligible() -> None:
    routes = [ChannelRoute(name=n, profile="generic", weight=w) for n, w in (("a", 1), ("b", 3), ("c", 6))]
    rng = random.Random(11)
    counts: Counter[str] = Counter()
    for _ in range(20_000):
        chosen, reasons = choose_eligible(routes, rng, lambda r: ["closed"] if r.name == "c" else [])
        assert chosen is not None and reasons in ([], ["c: closed"])
        counts[chosen.name] += 1
    assert abs(counts["a"] / 20_000 - 0.25) < 0.015 and counts["a"] + counts["b"] == 20_000
    none, reasons = choose_eligible(routes, rng, lambda r: [f"no {r.name}"])
    assert none is None and sorted(reasons) == ["a: no a", "b: no b", "c: no c"]


def test_same_seed_same_picks_whatever_the_candidate_order() -> None:
    routes = [ChannelRoute(name=n, profile="generic", weight=w) for n, w in (("a", 2), ("b", 3), ("c", 5))]
    rng1, rng2 = random.Random(99), random.Random(99)
    first = [pick(routes, rng1) for _ in range(50)]
    second = [pick(routes[::-1], rng2) for _ in range(50)]
    assert first == second and len(set(first)) == 3


def test_engine_routing_distribution_is_weighted_and_reproducible(shop: PayoutEngine) -> None:
    add(shop, "heavy", "alipay_bankcard", weight=4)
    add(shop, "light", "lianlian", weight=1)
    rng = random.Random(5)
    picks = [shop.route(shop.submit("m1", f"o{i}", recipient(100 + i)).id, rng).channel for i in range(60)]
    expected_rng = random.Random(5)
    routes = [
        ChannelRoute(name="heavy", profile="alipay_bankcard", weight=4),
        ChannelRoute(name="light", profile="lianlian"),
    ]
    assert picks == [pick(routes, expected_rng) for _ in range(60)]
    assert 30 < picks.count("heavy") < 60 and picks.count("light") > 0


def test_ineligible_channels_are_skipped(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank", weight=100)  # personal only, at most 20,000 CNY per payout
    add(shop, "ali", "alipay_bankcard", weight=1)
    add(shop, "poor", "lianlian", weight=100, funds=50)  # cannot cover
    add(shop, "off", "generic", weight=100, active=False)
    add(shop, "zero", "generic", weight=0)
    rng = random.Random(3)
    corporate = shop.route(shop.submit("m1", "corp", recipient(corporate=True)).id, rng)
    big = shop.route(shop.submit("m1", "big", recipient(3_000_000)).id, rng)
    assert (corporate.channel, big.channel) == ("ali", "ali")
    small = [shop.route(shop.submit("m1", f"s{i}", recipient(100)).id, rng).channel for i in range(20)]
    assert set(small) <= {"wx", "ali"} and small.count("wx") > small.count("ali")


def test_no_eligible_channel_keeps_order_approved_with_reason(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    add(shop, "poor", "alipay_bankcard", funds=10)
    order = shop.submit("m1", "corp", recipient(5_000, corporate=True))
    routed = shop.route(order.id, random.Random(0))
    assert routed.state == "approved" and routed.channel is None and routed.channel_order_no is None
    assert routed.route_failure is not None
    assert "wx: account_type:account_type" in routed.route_failure
    assert "poor: channel balance 10 < 5000" in routed.route_failure
    assert shop.entries(order.id) == []
    assert shop.balance(merchant_account("m1", "frozen")) == 0
    shop.fund_channel("poor", 10_000)  # money arrives: routing again succeeds and clears the reason
    again = shop.route(order.id, random.Random(0))
    assert (again.channel, again.route_failure) == ("poor", None)
    assert shop.balance(channel_account("poor", "in_flight")) == 5_000


def test_concurrent_routers_never_overdraw_a_channel(shop: PayoutEngine) -> None:
    add(shop, "small", "alipay_bankcard", weight=50, funds=3_000)  # room for three payouts of 1,000
    add(shop, "big", "lianlian", weight=1)
    orders = [shop.submit("m1", f"o{i}", recipient(1_000)).id for i in range(10)]
    _, errors = run_threads(len(orders), lambda i: shop.route(orders[i], random.Random(orders[i])))
    assert errors == []
    channels = Counter(shop.get(o).channel for o in orders)
    assert sum(channels.values()) == 10 and None not in channels
    assert shop.balance(channel_account("small", "in_flight")) == 1_000 * channels["small"] <= 3_000
    assert shop.balance(channel_account("small", "available")) == 3_000 - 1_000 * channels["small"]
    assert shop.balance(merchant_account("m1", "frozen")) == 10_000


def test_merchant_without_funds_is_not_routed(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="m1", approval="auto"))
    engine.deposit("m1", 99)
    add(engine, "ali", "alipay_bankcard")
    routed = engine.route(engine.submit("m1", "o", recipient(100)).id, random.Random(0))
    assert (routed.state, routed.channel, routed.route_failure) == ("approved", None, "merchant balance 99 < 100")


def test_route_failure_never_contains_the_account_number(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    bad = recipient(100, account_no=PAN + "99999")  # too long for a card: a violation naming the number
    assert any(v.code == "too_long" and PAN not in v.message for v in validate(bad, channel("wechat_bank")))
    routed = shop.route(shop.submit("m1", "o", bad).id, random.Random(0))
    assert routed.route_failure is not None and "account_no:too_long" in routed.route_failure
    assert PAN not in routed.route_failure


def test_refusals_name_bank_and_balance() -> None:
    profile = channel("wechat_bank")
    assert refusals(profile, recipient(100), 100) == []
    no_bank = replace(recipient(100), bank_code=None, bank_name=None)
    assert "bank_code:required" in refusals(profile, no_bank, 100)
    assert refusals(profile, recipient(101), 100) == ["channel balance 100 < 101"]


def test_unknown_profile_refused_when_configured(engine: PayoutEngine) -> None:
    with pytest.raises(UnknownChannel):
        engine.add_channel(ChannelRoute(name="x", profile="no_such_profile"))
