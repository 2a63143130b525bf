"""The order lifecycle, as one table: the engine's state conditions, its error texts and the tests all read it.

Routing is a move that keeps the state `approved`: it picks a channel and freezes the funds. An order is *routed*
once it has a channel; `Source` says whether a move needs it routed (True), unrouted (False) or either (None).
`role` is the role a person needs to make the move (audit.actors); None: only the system makes it (routing, the
move to dispatching), and a channel's answer needs no role either.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from payout_core.audit import Role
from payout_core.ledger import (
    ChannelPurpose,
    MerchantPurpose,
    PostingKind,
    Transfer,
    channel_account,
    merchant_account,
)

OrderState = Literal["created", "approved", "rejected", "dispatching", "succeeded", "failed"]
Action = Literal["approve", "reject", "cancel", "route", "dispatch", "succeed", "fail"]


class Source(NamedTuple):
    state: OrderState
    routed: bool | None = None


class Move(NamedTuple):
    sources: tuple[Source, ...]  # the only states (and routing) the move starts from
    target: OrderState
    rule: str  # why any other start is refused: the text of IllegalTransition
    posting: PostingKind | None  # the money the move moves, in the same transaction
    gives_back_limits: bool  # the daily limits the order took are given back
    role: Role | None  # the role of a person who makes the move


LIFECYCLE: dict[Action, Move] = {
    "approve": Move((Source("created"),), "approved", "only a created order is approved", None, False, "approver"),
    "reject": Move(
        (Source("created"), Source("approved", routed=False)),
        "rejected",
        "only a created or an approved, unrouted order is rejected (a routed one is cancelled)",
        None,
        True,
        "approver",
    ),
    # An operator stops a routed order that was never sent: `rejected` too (a person stopped it before anything left),
    # its funds unfrozen. Once it is dispatching it may have reached the channel: only the answer or a review ends it.
    "cancel": Move(
        (Source("approved", routed=True),),
        "rejected",
        "only a routed order that was never sent is cancelled (once it may have been sent, only the channel's"
        " answer or a review decision ends it)",
        "unfreeze",
        True,
        "operator",
    ),
    "route": Move(
        (Source("approved", routed=False),),
        "approved",
        "only an approved, unrouted order is routed",
        "freeze",
        False,
        None,
    ),
    "dispatch": Move(
        (Source("approved", routed=True),),
        "dispatching",
        "only an approved order that has been routed is dispatched",
        None,
        False,
        None,
    ),
    "succeed": Move(
        (Source("dispatching"),), "succeeded", "only a dispatching order succeeds", "settle", False, "operator"
    ),
    "fail": Move((Source("dispatching"),), "failed", "only a dispatching order fails", "unfreeze", True, "operator"),
}

# States no move starts from.
FINAL: frozenset[OrderState] = frozenset(
    {m.target for m in LIFECYCLE.values()} - {s.state for m in LIFECYCLE.values() for s in m.sources}
)


def allows(action: Action, state: OrderState, routed: bool) -> bool:
    """Whether `action` may start from an order in `state`, routed or not."""
    return any(s.state == state and s.routed in (None, routed) for s in LIFECYCLE[action].sources)


# What each posting of an order moves, merchant side and channel side: (from purpose, to purpose) each.
_ORDER_POSTINGS: dict[
    PostingKind, tuple[tuple[MerchantPurpose, MerchantPurpose], tuple[ChannelPurpose, ChannelPurpose]]
] = {
    "freeze": (("available", "frozen"), ("available", "in_flight")),
    "settle": (("frozen", "paid_out"), ("in_flight", "settled")),
    "unfreeze": (("frozen", "available"), ("in_flight", "available")),
    "return": (("paid_out", "available"), ("settled", "available")),  # 退汇: the money came back after success
}


def order_transfers(kind: PostingKind, merchant_id: str, channel: str, amount: int) -> tuple[Transfer, Transfer]:
    """The two transfers of an order's posting of `kind`: the merchant's side and the channel account's side."""
    (m_from, m_to), (c_from, c_to) = _ORDER_POSTINGS[kind]
    return (
        Transfer(merchant_account(merchant_id, m_from), merchant_account(merchant_id, m_to), amount),
        Transfer(channel_account(channel, c_from), channel_account(channel, c_to), amount),
    )
