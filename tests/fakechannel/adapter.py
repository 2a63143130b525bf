"""The adapter for the fake channel: the reference for how a real channel's adapter is written.

It translates only: a payout into the fake's JSON, an answer's JSON into a ChannelAnswer with the canonical string
the channel signs. Whether the answer counts (our order, our amount, a valid signature) and what its code means are
payout_core.dispatch's to decide, under the account's profile.
"""

from __future__ import annotations

import msgspec

from payout_core.dispatch.adapter import ChannelRequest, Payout
from payout_core.dispatch.answer import ChannelAnswer, Signed
from tests.fakechannel.wire import Answer, PayoutRequest, QueryRequest

_JSON = {"content-type": "application/json"}
_ANSWER = msgspec.json.Decoder(Answer)


class FakeChannelAdapter:
    """Speaks the fake's JSON for one route (`name`), paying from `account` at the fake (default: the name)."""

    def __init__(self, base_url: str, name: str = "fake", *, account: str | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._name = name
        self._account = account or name

    @property
    def name(self) -> str:
        return self._name

    def dispatch_request(self, payout: Payout) -> ChannelRequest:
        r = payout.recipient
        body = PayoutRequest(
            account=self._account,
            order_no=payout.channel_order_no,
            account_no=r.account_no,
            account_name=r.name,
            account_type=r.account_type,
            amount=r.amount,
        )
        return ChannelRequest(url=f"{self._base_url}/payouts", body=msgspec.json.encode(body), headers=_JSON)

    def query_request(self, channel_order_no: str) -> ChannelRequest:
        body = msgspec.json.encode(QueryRequest(account=self._account, order_no=channel_order_no))
        return ChannelRequest(url=f"{self._base_url}/payouts/query", body=body, headers=_JSON)

    def parse(self, status: int, body: bytes) -> ChannelAnswer:
        answer = _ANSWER.decode(body)  # unreadable: raises, and the answer counts as unreadable
        signed = None if answer.sign is None else Signed(payload=answer.signed_text(), signature=answer.sign)
        return ChannelAnswer(
            order_no=answer.order_no,
            code=answer.code,
            message=answer.message,
            amount=answer.amount,
            channel_ref=answer.channel_ref,
            signed=signed,
        )
