"""A fake payout channel (Litestar) that answers each order the way a test or the simulation tells it to.

It behaves like a careful real channel where that matters for safety: the order number is idempotent (a resend
never pays twice), and it can answer every way a real one does — success, a decline, silence, an undocumented
code, a 5xx, a garbled body, "not found" for a while, a decline that was really a payment, a later return.
"""

from __future__ import annotations

import asyncio
import threading

import msgspec
from litestar import Litestar, Response, get, post, put
from litestar.params import FromPath, JSONBody

from tests.fakechannel.wire import (
    ACCOUNT_INVALID,
    BANK_RETURNED,
    ORDER_NOT_FOUND,
    PROCESSING,
    SUCCESS,
    UNDOCUMENTED,
    Answer,
    OrderRecord,
    PayoutRequest,
    QueryRequest,
    ScenarioSetting,
)

GARBLED_BODY = b"\x8b\x00<html><body>502 Bad Gatew"


class FakeChannelState:
    """Orders by number; the lock keeps the app correct under a threaded server or test client as well."""

    def __init__(self, timeout_delay: float) -> None:
        self.timeout_delay = timeout_delay
        self.lock = threading.Lock()
        self.orders: dict[str, OrderRecord] = {}
        self.settings: dict[str, ScenarioSetting] = {}

    def record(self, order_no: str) -> OrderRecord:
        rec = self.orders.get(order_no)
        if rec is None:
            setting = self.settings.get(order_no, ScenarioSetting(scenario="success"))
            rec = OrderRecord(order_no=order_no, scenario=setting.scenario, hidden_queries=setting.hidden_queries)
            self.orders[order_no] = rec
        return rec

    def dispatch(self, req: PayoutRequest) -> tuple[int, bytes | Answer]:
        with self.lock:
            rec = self.record(req.order_no)
            rec.dispatches += 1
            if rec.accepted:  # idempotent order number: answer the state, never pay again
                return 200, Answer(order_no=req.order_no, code=_status_code(rec), message="duplicate order number")
            if rec.scenario == "http_5xx" and rec.dispatches == 1:
                return 503, b"Service Unavailable"
            rec.accepted, rec.amount = True, req.amount
            if rec.scenario == "failure":
                rec.failed = True
                return 200, Answer(order_no=req.order_no, code=ACCOUNT_INVALID, message="账户不存在")
            rec.paid = True
            if rec.scenario == "failure_then_success":  # upstream bug: says declined, pays anyway
                return 200, Answer(order_no=req.order_no, code=ACCOUNT_INVALID, message="账户不存在")
            if rec.scenario == "success_then_return":
                rec.returned = True
            return 200, _dispatch_answer(rec)

    def query(self, req: QueryRequest) -> Answer:
        with self.lock:
            rec = self.orders.get(req.order_no)
            if rec is not None:
                rec.queries += 1
            if rec is None or not rec.accepted:
                return Answer(order_no=req.order_no, code=ORDER_NOT_FOUND, message="订单不存在")
            if rec.scenario == "not_found_then_success" and rec.queries <= rec.hidden_queries:
                return Answer(order_no=req.order_no, code=ORDER_NOT_FOUND, message="订单不存在")
            return Answer(order_no=req.order_no, code=_status_code(rec))


def _status_code(rec: OrderRecord) -> str:
    if rec.failed:
        return ACCOUNT_INVALID
    if rec.returned:
        return BANK_RETURNED
    return SUCCESS if rec.paid else PROCESSING


def _dispatch_answer(rec: OrderRecord) -> bytes | Answer:
    if rec.scenario == "unknown_code":
        return Answer(order_no=rec.order_no, code=UNDOCUMENTED, message="请联系客服")
    if rec.scenario == "garbled":
        return GARBLED_BODY
    if rec.scenario in ("not_found_then_success", "success_then_return"):
        return Answer(order_no=rec.order_no, code=PROCESSING, message="处理中")
    return Answer(order_no=rec.order_no, code=SUCCESS)


def create_app(timeout_delay: float = 1.25) -> Litestar:
    """The fake channel; `timeout_delay` is how long a "timeout" order keeps the caller waiting (after paying)."""
    state = FakeChannelState(timeout_delay)

    @post("/payouts", status_code=200)
    async def dispatch(data: JSONBody[PayoutRequest]) -> Response[bytes | Answer]:
        status, body = state.dispatch(data)
        rec = state.orders[data.order_no]
        if rec.scenario == "timeout" and rec.dispatches == 1:
            await asyncio.sleep(state.timeout_delay)
        media = "application/json" if isinstance(body, Answer) else "text/html"
        return Response(body, status_code=status, media_type=media)

    @post("/payouts/query", status_code=200)
    async def query(data: JSONBody[QueryRequest]) -> Answer:
        return state.query(data)

    @put("/control/scenarios/{order_no:str}", status_code=204)
    async def set_scenario(order_no: FromPath[str], data: JSONBody[ScenarioSetting]) -> None:
        with state.lock:
            state.settings[order_no] = data

    @get("/control/orders")
    async def orders() -> list[OrderRecord]:
        with state.lock:
            return [msgspec.structs.replace(r) for r in state.orders.values()]

    return Litestar(route_handlers=[dispatch, query, set_scenario, orders], logging_config=None)
