"""The adapter for the fake channel: the reference for how a real channel's adapter is written."""

from __future__ import annotations

import msgspec

from payout_core.channels import Outcomes
from payout_core.dispatch.adapter import ChannelRequest, Payout
from payout_core.dispatch.outcome import Outcome, Pending, classify
from tests.fakechannel.wire import FAKE_RULES, Answer, PayoutRequest, QueryRequest

_JSON = {"content-type": "application/json"}


class FakeChannelAdapter:
    """Speaks the fake's JSON; decides only on `code`, never on `message` (messages change, codes are contract)."""

    def __init__(self, base_url: str, name: str = "fake", rules: Outcomes = FAKE_RULES) -> None:
        self._base_url = base_url.rstrip("/")
        self._name = name
        self._rules = rules

    @property
    def name(self) -> str:
        return self._name

    @property
    def rules(self) -> Outcomes:
        return self._rules

    def dispatch_request(self, payout: Payout) -> ChannelRequest:
        r = payout.recipient
        body = PayoutRequest(
            order_no=payout.channel_order_no,
            account_no=r.account_no,
            account_name=r.name,
            account_type=r.account_type,
            amount=r.amount,
        )
        return ChannelRequest(url=f"{self._base_url}/payouts", body=msgspec.json.encode(body), headers=_JSON)

    def query_request(self, channel_order_no: str) -> ChannelRequest:
        body = msgspec.json.encode(QueryRequest(order_no=channel_order_no))
        return ChannelRequest(url=f"{self._base_url}/payouts/query", body=body, headers=_JSON)

    def parse(self, status: int, body: bytes) -> Outcome:
        try:
            answer = msgspec.json.decode(body, type=Answer)
        except msgspec.DecodeError as exc:
            return Pending(reason=f"unreadable answer (HTTP {status}): {exc}")
        return classify(answer.code, answer.message, self._rules)
