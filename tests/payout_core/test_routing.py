"""Routing on both back ends: eligibility from the real channel profiles, weighted seeded choice, failures recorded."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from msgspec.structs import replace
from stdnum import luhn

from payout_core.channels import ChannelProfile, UnknownChannel, channel
from payout_core.ledger import channel_account, merchant_account
from payout_core.orders import IllegalTransition, Merchant, Order, PayoutEngine
from payout_core.returns import Returns
from payout_core.routing import ChannelRoute, choose, choose_eligible, refusals
from payout_core.store import Store
from payout_core.validation import validate

from .builders import ADMIN, OPERATOR, Clock, hire_staff, new_key, recipient, run_threads

PAN = "6222021234567890128"


@pytest.fixture
def shop(engine: PayoutEngine) -> PayoutEngine:
    """Auto-approving merchant with plenty of money; channels added per test."""
    engine.add_merchant(Merchant(id="m1", approval="auto", per_card_daily_limit=10**12), actor=ADMIN)
    engine.deposit("m1", 10**10, key=new_key(), actor=OPERATOR)
    return engine


def add(
    engine: PayoutEngine, name: str, profile: str, *, weight: int = 1, funds: int = 10**9, active: bool = True
) -> None:
    engine.add_channel(ChannelRoute(name=name, profile=profile, weight=weight, active=active), actor=ADMIN)
    if funds:
        engine.fund_channel(name, funds, key=new_key(), actor=OPERATOR)


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
    shop.fund_channel(
        "poor", 10_000, key=new_key(), actor=OPERATOR
    )  # money arrives: routing again succeeds and clears the reason
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
    engine.add_merchant(Merchant(id="m1", approval="auto"), actor=ADMIN)
    engine.deposit("m1", 99, key=new_key(), actor=OPERATOR)
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
    assert refusals(profile, recipient(101), 101, card_used=WX_CARD_DAY - 100) == [
        f"card daily limit {WX_CARD_DAY}: {WX_CARD_DAY - 100} used today + 101"
    ]
    assert refusals(profile, recipient(101), 101, account_used=WX_DAY - 100) == [
        f"channel account daily limit {WX_DAY}: {WX_DAY - 100} used today + 101"
    ]
    assert refusals(profile, recipient(100), 100, card_used=WX_CARD_DAY - 100, account_used=WX_DAY - 100) == []


def test_unknown_profile_refused_when_configured(engine: PayoutEngine) -> None:
    with pytest.raises(UnknownChannel):
        engine.add_channel(ChannelRoute(name="x", profile="no_such_profile"), actor=ADMIN)


# --- a channel's own per-card daily limit (wechat_bank: 20,000 CNY to one card per channel account per day) ---------

WX_CARD_DAY = 2_000_000


def test_channel_card_limit_sums_the_days_orders(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    first = shop.route(shop.submit("m1", "a", recipient(1_500_000)).id, random.Random(0))
    assert (first.channel, first.card_limit_day) == ("wx", "2026-03-02")
    over = shop.route(shop.submit("m1", "b", recipient(600_000)).id, random.Random(0))
    assert over.channel is None and over.route_failure is not None
    assert f"wx: card daily limit {WX_CARD_DAY}: 1500000 used today + 600000" in over.route_failure
    assert PAN not in over.route_failure
    exact = shop.route(shop.submit("m1", "c", recipient(500_000)).id, random.Random(0))
    assert exact.channel == "wx"  # 1,500,000 + 500,000 is the limit itself
    other_card = recipient(WX_CARD_DAY, account_no="6222020200112233445")
    assert shop.route(shop.submit("m1", "d", other_card).id, random.Random(0)).channel == "wx"
    assert shop.balance(channel_account("wx", "in_flight")) == 1_500_000 + 500_000 + WX_CARD_DAY


def test_a_channel_without_the_limit_takes_what_the_limited_one_refuses(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank", weight=1000)
    add(shop, "ali", "alipay_bankcard", weight=1)
    shop.route(shop.submit("m1", "a", recipient(WX_CARD_DAY)).id, random.Random(0))
    second = shop.route(shop.submit("m1", "b", recipient(100)).id, random.Random(0))
    assert (second.channel, second.card_limit_day) == ("ali", None)


def test_explicit_failure_gives_the_cards_room_back_and_success_keeps_it(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    failed = shop.route(shop.submit("m1", "a", recipient(1_500_000)).id, random.Random(0))
    shop.mark_dispatching(failed.id)
    shop.mark_failed(failed.id, code="FAILED", reason="bank refused")
    kept = shop.route(shop.submit("m1", "b", recipient(1_500_000)).id, random.Random(0))
    assert kept.channel == "wx"
    shop.mark_dispatching(kept.id)
    shop.mark_succeeded(kept.id)
    refused = shop.route(shop.submit("m1", "c", recipient(600_000)).id, random.Random(0))
    assert refused.channel is None and "card daily limit" in (refused.route_failure or "")


def test_the_next_business_day_starts_afresh(shop: PayoutEngine, clock: Clock) -> None:
    add(shop, "wx", "wechat_bank")
    shop.route(shop.submit("m1", "a", recipient(WX_CARD_DAY)).id, random.Random(0))
    waiting = shop.submit("m1", "b", recipient(100))
    assert shop.route(waiting.id, random.Random(0)).channel is None
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # midnight in Beijing: a new business day there
    again = shop.route(waiting.id, random.Random(0))
    assert (again.channel, again.card_limit_day) == ("wx", "2026-03-03")


def test_a_freeze_refused_for_the_merchants_funds_counts_nothing(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="m1", approval="auto", per_card_daily_limit=10**12), actor=ADMIN)
    engine.deposit("m1", 1_000, key=new_key(), actor=OPERATOR)
    add(engine, "wx", "wechat_bank")
    short = engine.route(engine.submit("m1", "a", recipient(5_000)).id, random.Random(0))
    assert short.route_failure == "merchant balance 1000 < 5000"
    engine.deposit("m1", 10**8, key=new_key(), actor=OPERATOR)
    full = engine.route(engine.submit("m1", "b", recipient(WX_CARD_DAY)).id, random.Random(0))
    assert full.channel == "wx"  # had the refused 5,000 stayed counted, the card's day would be over its limit


def test_concurrent_routes_never_pass_the_cards_limit(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    orders = [shop.submit("m1", f"o{i}", recipient(500_000)).id for i in range(8)]
    _, errors = run_threads(len(orders), lambda i: shop.route(orders[i], random.Random(i)))
    assert errors == []
    routed = [o for o in orders if shop.get(o).channel == "wx"]
    assert len(routed) == 4  # 4 × 500,000 fills the card's 2,000,000 on wx
    assert shop.balance(channel_account("wx", "in_flight")) == WX_CARD_DAY
    assert all("card daily limit" in (shop.get(o).route_failure or "") for o in set(orders) - set(routed))


class RaceAtCall:
    """Channel profiles that, at the n-th lookup made by the routing thread, let another route take `amount` of the
    same card's room on wx to completion first: a race between reading the card's use and counting it."""

    def __init__(self, engine: PayoutEngine, n: int, amount: int) -> None:
        self.engine, self.n, self.amount, self.calls = engine, n, amount, 0
        self.racer = threading.get_ident()

    def __call__(self, name: str) -> ChannelProfile:
        if threading.get_ident() == self.racer:
            self.calls += 1
            if self.calls == self.n:
                done, errors = run_threads(1, self.rival)
                assert errors == [] and done[0].channel == "wx"
        return channel(name)

    def rival(self, _: int) -> Order:
        return self.engine.route(self.engine.submit("m1", "rival", recipient(self.amount)).id, random.Random(0))


def test_a_rival_route_between_read_and_count_refuses_the_freeze(store: Store, clock: Clock) -> None:
    hire_staff(store, clock)
    racing = RaceAtCall(PayoutEngine(store, clock=clock), 2, 1_000_000)  # call 1 checks the route's profile at
    # add_channel; call 2 weighs wx after the unlocked read
    engine = PayoutEngine(store, clock=clock, profiles=racing)
    racing.engine = engine
    engine.add_merchant(Merchant(id="m1", approval="auto", per_card_daily_limit=10**12), actor=ADMIN)
    engine.deposit("m1", 10**10, key=new_key(), actor=OPERATOR)
    add(engine, "wx", "wechat_bank")
    late = engine.route(engine.submit("m1", "late", recipient(1_500_000)).id, random.Random(0))
    assert late.channel is None and f"card daily limit {WX_CARD_DAY}: 1000000 used today" in (late.route_failure or "")
    assert engine.balance(channel_account("wx", "in_flight")) == 1_000_000
    assert engine.entries(late.id) == []


# --- routing from the engine's copy of the active routes ----------------------------------------------------------


def test_a_route_change_elsewhere_is_followed_at_once(shop: PayoutEngine, store: Store, clock: Clock) -> None:
    add(shop, "ali", "alipay_bankcard", weight=1000)
    add(shop, "wx", "wechat_bank", weight=1)
    assert shop.route(shop.submit("m1", "a", recipient(100)), random.Random(0)).channel == "ali"  # copy read
    admin = PayoutEngine(store, clock=clock)  # another process reconfigures the routes
    admin.add_channel(ChannelRoute(name="ali", profile="alipay_bankcard", weight=1000, active=False), actor=ADMIN)
    for i in range(5):
        assert shop.route(shop.submit("m1", f"b{i}", recipient(100)), random.Random(i)).channel == "wx"
    add(admin, "new", "lianlian", weight=10**6)
    assert shop.route(shop.submit("m1", "c", recipient(100)), random.Random(0)).channel == "new"


def test_route_takes_the_order_or_its_id_and_refuses_a_stale_snapshot(shop: PayoutEngine) -> None:
    add(shop, "ali", "alipay_bankcard")
    seen = shop.submit("m1", "a", recipient(100))
    by_id = shop.route(shop.submit("m1", "b", recipient(100)).id, random.Random(0))
    by_order = shop.route(seen, random.Random(0))
    assert (by_order.channel, by_order.state, by_id.channel) == ("ali", "approved", "ali")
    assert shop.get(seen.id) == by_order
    with pytest.raises(IllegalTransition):
        shop.route(seen, random.Random(0))  # the snapshot still says unrouted: the freeze refuses, the read explains
    assert shop.balance(merchant_account("m1", "frozen")) == 200


def test_route_many_routes_each_order_as_route_would(shop: PayoutEngine, store: Store, clock: Clock) -> None:
    add(shop, "small", "alipay_bankcard", weight=50, funds=3_000)  # room for three of the ten
    add(shop, "big", "lianlian", weight=1)
    add(shop, "wx", "wechat_bank", weight=0)
    orders = [shop.submit("m1", f"o{i}", recipient(1_000)) for i in range(10)]
    stale = orders[0]
    routed = shop.route_many(orders, random.Random(7))
    assert [o.id for o in routed] == [o.id for o in orders]
    assert all(o.state == "approved" and o.channel in ("small", "big") for o in routed)
    assert [shop.get(o.id) for o in orders] == routed
    channels = Counter(o.channel for o in routed)
    assert channels["small"] == 3  # the weight draws it first; its freezes past 3,000 are refused and rerouted
    assert shop.balance(channel_account("small", "available")) == 0
    assert shop.balance(merchant_account("m1", "frozen")) == 10_000
    other = PayoutEngine(store, clock=clock)  # its copy draws the drained channel; the freezes refuse, big pays
    again = [other.submit("m1", f"p{i}", recipient(1_000)) for i in range(4)]
    assert [o.channel for o in other.route_many(again, random.Random(1))] == ["big"] * 4
    with pytest.raises(IllegalTransition):
        shop.route_many([stale], random.Random(0))


def test_route_many_of_nothing_does_nothing(shop: PayoutEngine) -> None:
    assert shop.route_many([], random.Random(0)) == []


def test_a_router_worker_routes_what_awaits_routing(shop: PayoutEngine) -> None:
    add(shop, "ali", "alipay_bankcard")
    orders = [shop.submit("m1", f"o{i}", recipient(100 + i)) for i in range(5)]
    shop.route(orders[1], random.Random(0))
    waiting = shop.awaiting_route(limit=3)
    assert [o.id for o in waiting] == [orders[0].id, orders[2].id, orders[3].id]
    while batch := shop.awaiting_route(limit=2):
        shop.route_many(batch, random.Random(0))
    assert all(shop.get(o.id).channel == "ali" for o in orders)


# --- a channel's own daily limit on the account's total (wechat_bank: 100,000 CNY per merchant account per day) ----

WX_DAY = 10_000_000


def card(i: int) -> str:
    """The i-th of a run of distinct ICBC card numbers that pass the Luhn check."""
    body = f"62220202{i:010d}"
    return body + luhn.calc_check_digit(body)


def fill(engine: PayoutEngine, amount: int, *, tag: str = "fill") -> list[Order]:
    """Route `amount` to wx on as many cards as the per-card limit needs (each card at most WX_CARD_DAY)."""
    routed = []
    for i, start in enumerate(range(0, amount, WX_CARD_DAY)):
        part = recipient(min(WX_CARD_DAY, amount - start), account_no=card(i))
        routed.append(engine.route(engine.submit("m1", f"{tag}-{i}", part).id, random.Random(0)))
    assert {o.channel for o in routed} == {"wx"}
    return routed


def test_the_account_limit_sums_the_days_orders_across_cards(shop: PayoutEngine) -> None:
    """WeChat: 商户号单日出款额度 10万 (wechat_bank.toml [sources] daily_limit): 100,000 CNY + 1 fen is refused."""
    add(shop, "wx", "wechat_bank")
    filled = fill(shop, WX_DAY - 1)
    assert len(filled) == 5 and {o.account_limit_day for o in filled} == {"2026-03-02"}
    over = shop.route(shop.submit("m1", "over", recipient(2, account_no=card(99))).id, random.Random(0))
    assert over.channel is None and over.account_limit_day is None and over.route_failure is not None
    assert f"wx: channel account daily limit {WX_DAY}: {WX_DAY - 1} used today + 2" in over.route_failure
    assert "card daily limit" not in over.route_failure  # card 99 has nothing on wx today
    assert all(card(i) not in over.route_failure for i in (*range(5), 99)) and PAN not in over.route_failure
    exact = shop.route(shop.submit("m1", "exact", recipient(1, account_no=card(99))).id, random.Random(0))
    assert (exact.channel, exact.account_limit_day) == ("wx", "2026-03-02")  # the limit itself is allowed
    assert shop.balance(channel_account("wx", "in_flight")) == WX_DAY
    assert shop.route(shop.submit("m1", "next", recipient(1, account_no=card(98))).id, random.Random(0)).channel is None


def test_a_channel_without_the_account_limit_takes_what_the_limited_one_refuses(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank", weight=1000)
    fill(shop, WX_DAY)
    add(shop, "ali", "alipay_bankcard", weight=1)
    taken = shop.route(shop.submit("m1", "b", recipient(100, account_no=card(50))).id, random.Random(0))
    assert (taken.channel, taken.card_limit_day, taken.account_limit_day) == ("ali", None, None)
    assert shop.balance(channel_account("wx", "in_flight")) == WX_DAY


def test_the_accounts_next_business_day_starts_afresh(shop: PayoutEngine, clock: Clock) -> None:
    add(shop, "wx", "wechat_bank")
    fill(shop, WX_DAY)
    waiting = shop.submit("m1", "b", recipient(100, account_no=card(50)))
    assert "channel account daily limit" in (shop.route(waiting.id, random.Random(0)).route_failure or "")
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # midnight in Beijing: a new business day there
    again = shop.route(waiting.id, random.Random(0))
    assert (again.channel, again.account_limit_day) == ("wx", "2026-03-03")


def test_explicit_failure_gives_the_accounts_room_back_and_success_and_return_keep_it(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    first, *_, last = fill(shop, WX_DAY)
    shop.mark_dispatching(first.id)
    shop.mark_failed(first.id, code="FAILED", reason="bank refused")  # 2,000,000 of the day back
    again = shop.route(shop.submit("m1", "again", recipient(WX_CARD_DAY, account_no=card(50))).id, random.Random(0))
    assert again.channel == "wx"
    shop.mark_dispatching(last.id)
    paid = shop.mark_succeeded(last.id)
    Returns(shop).record(paid.id, reason="bank statement: returned", operator=OPERATOR)  # 退汇: an adjustment order
    refused = shop.route(shop.submit("m1", "full", recipient(1, account_no=card(51))).id, random.Random(0))
    assert refused.channel is None
    assert f"channel account daily limit {WX_DAY}: {WX_DAY} used today + 1" in (refused.route_failure or "")


def test_the_give_back_lowers_the_counters_the_route_raised_whatever_the_profile_says_now(
    shop: PayoutEngine, store: Store, clock: Clock
) -> None:
    add(shop, "wx", "wechat_bank")
    unlimited = PayoutEngine(store, clock=clock, profiles=lambda name: replace(channel(name), daily_limit=None))
    uncounted = unlimited.route(unlimited.submit("m1", "a", recipient(100, account_no=card(60))).id, random.Random(0))
    assert (uncounted.channel, uncounted.account_limit_day) == ("wx", None)
    counted = fill(shop, WX_DAY - 100)
    unlimited.mark_dispatching(counted[0].id)
    unlimited.mark_failed(counted[0].id, code="FAILED", reason="bank refused")  # its profile no longer limits wx
    shop.mark_dispatching(uncounted.id)
    shop.mark_failed(uncounted.id, code="FAILED", reason="bank refused")  # nothing of the account's day to give back
    back = shop.route(shop.submit("m1", "back", recipient(WX_CARD_DAY, account_no=card(61))), random.Random(0))
    assert back.channel == "wx"  # the failed order's 2,000,000 came back: the day holds WX_DAY - 100
    over = shop.route(shop.submit("m1", "over", recipient(101, account_no=card(62))), random.Random(0))
    assert f"channel account daily limit {WX_DAY}: {WX_DAY - 100} used today + 101" in (over.route_failure or "")


def test_concurrent_routes_never_pass_the_accounts_limit(shop: PayoutEngine) -> None:
    add(shop, "wx", "wechat_bank")
    orders = [shop.submit("m1", f"o{i}", recipient(WX_CARD_DAY, account_no=card(i))).id for i in range(8)]
    _, errors = run_threads(len(orders), lambda i: shop.route(orders[i], random.Random(i)))
    assert errors == []
    routed = [o for o in orders if shop.get(o).channel == "wx"]
    assert len(routed) == 5  # 5 × 2,000,000 on five cards fills wx's 10,000,000
    assert shop.balance(channel_account("wx", "in_flight")) == WX_DAY
    left = set(orders) - set(routed)
    assert all("channel account daily limit" in (shop.get(o).route_failure or "") for o in left)
