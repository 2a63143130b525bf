"""A fake payout channel (Litestar) that answers each order the way a test or the simulation tells it to.

It behaves like a careful real channel where that matters for safety: the order number is idempotent (a resend
never pays twice), and it can answer every way a real one does — success, a decline, silence, an undocumented
code, a 5xx, a garbled body, "not found" for a while, a decline that was really a payment, a later return, an
answer about another order, a proxy's error page, a forged signature. Its truth (who was paid what, when, from
which account) is kept per order on its own clock, which the simulation sets, and its statements are written from
that truth with the same faults.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time

import msgspec
from litestar import Litestar, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from payout_core.channels import LineStatus
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
    StatementData,
    StatementLine,
)

GARBLED_BODY = b"\x8b\x00<html><body>502 Bad Gatew"
FORGED_KEY = b"not the account's key"
_S = 1_000_000  # microseconds per second


class FakeChannelState:
    """Orders by number; the lock keeps the app correct under a threaded server or test client as well."""

    def __init__(self, timeout_delay: float) -> None:
        self.timeout_delay = timeout_delay
        self.lock = threading.Lock()
        self.orders: dict[str, OrderRecord] = {}
        self.settings: dict[str, ScenarioSetting] = {}
        self.keys: dict[str, bytes] = {}  # account → HMAC key: answers of that account are signed
        self.opening: dict[str, int] = {}  # account → balance before its first payout
        self.clock: int | None = None  # microseconds UTC; None: the real time

    def now(self) -> int:
        return self.clock if self.clock is not None else time.time_ns() // 1000

    def record(self, order_no: str, account: str) -> OrderRecord:
        rec = self.orders.get(order_no)
        if rec is None:
            setting = self.settings.get(order_no, ScenarioSetting(scenario="success"))
            rec = OrderRecord(
                order_no=order_no,
                scenario=setting.scenario,
                hidden_queries=setting.hidden_queries,
                later_seconds=setting.later_seconds,
                account=account,
                channel_ref=f"FC{len(self.orders) + 1:012d}",
            )
            self.orders[order_no] = rec
        return rec

    def settle_time(self, rec: OrderRecord) -> None:
        """What the channel's clock has done since: a late payment paid, a return returned."""
        later = rec.accepted_at + rec.later_seconds * _S
        if rec.scenario == "late_payment" and rec.accepted and not rec.paid and self.now() >= later:
            rec.paid, rec.paid_at, rec.paid_amount = True, later, rec.amount
        returns = rec.scenario in ("success_then_return", "quiet_return")
        if returns and rec.paid and not rec.returned and self.now() >= later:
            rec.returned, rec.returned_at = True, later

    def answer(self, rec: OrderRecord, code: str, message: str = "", *, order_no: str | None = None) -> Answer:
        plain = Answer(
            order_no=order_no or rec.order_no,
            code=code,
            message=message,
            amount=rec.amount,
            channel_ref=rec.channel_ref,
        )
        forged = rec.scenario == "forged_signature" and rec.queries == 0
        return self.signed(rec.account, plain, forged=forged)

    def signed(self, account: str, answer: Answer, *, forged: bool = False) -> Answer:
        """The answer signed with the account's key, when it has one (every answer of a signing account is)."""
        key = self.keys.get(account)
        if key is None:
            return answer
        key = FORGED_KEY if forged else key
        return msgspec.structs.replace(answer, sign=hmac.new(key, answer.signed_text(), hashlib.sha256).hexdigest())

    def dispatch(self, req: PayoutRequest) -> tuple[int, bytes | Answer]:
        with self.lock:
            rec = self.record(req.order_no, req.account)
            self.settle_time(rec)
            rec.dispatches += 1
            if rec.accepted:  # idempotent order number: answer the state, never pay again
                return 200, self.answer(rec, _status_code(rec), "duplicate order number")
            if rec.scenario == "http_5xx" and rec.dispatches == 1:
                return 503, b"Service Unavailable"
            now = self.now()
            rec.accepted, rec.amount, rec.accepted_at = True, req.amount, now
            if rec.scenario in ("failure", "success_then_failed"):
                rec.failed, rec.failed_at = True, now
                if rec.scenario == "failure":
                    return 200, self.answer(rec, ACCOUNT_INVALID, "账户不存在")
                return 200, self.answer(rec, SUCCESS)  # upstream bug: says paid, never pays
            if rec.scenario == "late_payment":
                return 503, b"Service Unavailable"  # accepted all the same; pays `later_seconds` on
            rec.paid, rec.paid_at = True, now
            rec.paid_amount = (
                req.amount - max(1, req.amount // 100) if rec.scenario == "paid_other_amount" else req.amount
            )
            return 200, self._dispatch_answer(rec)

    def _dispatch_answer(self, rec: OrderRecord) -> bytes | Answer:
        match rec.scenario:
            case "unknown_code":
                return self.answer(rec, UNDOCUMENTED, "请联系客服")
            case "garbled":
                return GARBLED_BODY
            case "not_found_then_success" | "success_then_return":
                return self.answer(rec, PROCESSING, "处理中")
            case "failure_then_success" | "forged_signature" | "proxy_404":  # says declined, pays anyway
                return self.answer(rec, ACCOUNT_INVALID, "账户不存在")
            case "wrong_order_no":
                return self.answer(rec, ACCOUNT_INVALID, "账户不存在", order_no=f"{rec.order_no}9")
            case "answer_wrong_amount":
                return msgspec.structs.replace(self.answer(rec, SUCCESS), amount=rec.amount + 1, sign=None)
        return self.answer(rec, SUCCESS)

    def query(self, req: QueryRequest) -> Answer:
        with self.lock:
            rec = self.orders.get(req.order_no)
            if rec is not None:
                rec.queries += 1
            if rec is None or not rec.accepted:
                return self.signed(
                    req.account, Answer(order_no=req.order_no, code=ORDER_NOT_FOUND, message="订单不存在")
                )
            self.settle_time(rec)
            hidden = rec.scenario == "not_found_then_success" and rec.queries <= rec.hidden_queries
            if hidden or (rec.scenario == "late_payment" and not rec.paid):
                return self.answer(rec, ORDER_NOT_FOUND, "订单不存在")
            answer = self.answer(rec, _status_code(rec))
            if rec.scenario == "answer_wrong_amount":
                return msgspec.structs.replace(answer, amount=rec.amount + 1, sign=None)
            return answer

    def statement(self, account: str, start: int, end: int) -> StatementData:
        """The account's finished payouts and returns in [start, end), and its balance at `end`, from the truth."""
        with self.lock:
            lines: list[StatementLine] = []
            balance = self.opening.get(account, 0)
            for rec in self.orders.values():
                if rec.account != account:
                    continue
                self.settle_time(rec)
                events: list[tuple[LineStatus, int | None, int]] = [
                    ("paid", rec.paid_at, rec.paid_amount),
                    ("failed", rec.failed_at, rec.amount),
                    ("returned", rec.returned_at, rec.paid_amount),
                ]
                for status, at, amount in events:
                    if at is None or at >= end:
                        continue
                    balance += {"paid": -amount, "failed": 0, "returned": amount}[status]
                    omitted = status == "paid" and rec.scenario == "statement_omits"
                    if at >= start and not omitted:
                        lines.append(
                            StatementLine(
                                order_no=rec.order_no, channel_ref=rec.channel_ref, status=status, amount=amount, at=at
                            )
                        )
            lines.sort(key=lambda line: (line.at, line.order_no))
            return StatementData(lines=lines, closing_balance=balance)


def _status_code(rec: OrderRecord) -> str:
    if rec.failed:
        return ACCOUNT_INVALID
    if rec.returned and rec.scenario != "quiet_return":
        return BANK_RETURNED
    return SUCCESS if rec.paid else PROCESSING


class AccountSetting(msgspec.Struct, frozen=True, kw_only=True):
    opening_balance: int = 0
    key: str | None = None  # HMAC key: answers of the account are signed with it


def create_app(timeout_delay: float = 1.25) -> Litestar:
    """The fake channel; `timeout_delay` is how long a "timeout" order keeps the caller waiting (after paying)."""
    state = FakeChannelState(timeout_delay)

    @post("/payouts", status_code=200)
    async def dispatch(data: JSONBody[PayoutRequest]) -> Response[bytes | Answer]:
        status, body = state.dispatch(data)
        rec = state.orders[data.order_no]
        if rec.scenario == "timeout" and rec.dispatches == 1:
            await asyncio.sleep(state.timeout_delay)
        if rec.scenario == "proxy_404" and rec.dispatches == 1:
            status = 404  # a proxy in front of the channel; its body still reads like the channel's decline
        media = "application/json" if isinstance(body, Answer) else "text/html"
        return Response(body, status_code=status, media_type=media)

    @post("/payouts/query", status_code=200)
    async def query(data: JSONBody[QueryRequest]) -> Answer:
        return state.query(data)

    @put("/control/scenarios/{order_no:str}", status_code=204)
    async def set_scenario(order_no: FromPath[str], data: JSONBody[ScenarioSetting]) -> None:
        with state.lock:
            state.settings[order_no] = data

    @put("/control/accounts/{account:str}", status_code=204)
    async def set_account(account: FromPath[str], data: JSONBody[AccountSetting]) -> None:
        with state.lock:
            state.opening[account] = data.opening_balance
            if data.key is not None:
                state.keys[account] = data.key.encode()

    @put("/control/clock", status_code=204)
    async def set_clock(data: JSONBody[int]) -> None:
        with state.lock:
            state.clock = data

    @get("/control/orders")
    async def orders() -> list[OrderRecord]:
        with state.lock:
            for rec in state.orders.values():
                state.settle_time(rec)
            return [msgspec.structs.replace(r) for r in state.orders.values()]

    @get("/control/statements/{account:str}")
    async def statement(account: FromPath[str], start: FromQuery[int], end: FromQuery[int]) -> StatementData:
        return state.statement(account, start, end)

    handlers = [dispatch, query, set_scenario, set_account, set_clock, orders, statement]
    return Litestar(route_handlers=handlers, logging_config=None)
