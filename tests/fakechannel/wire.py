"""The fake channel's wire format: what a dispatch and a query send, what comes back, and the scenario names."""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

from payout_core.channels import LineStatus, Outcomes

Scenario = Literal[
    "success",
    "failure",
    "timeout",
    "unknown_code",
    "http_5xx",
    "garbled",
    "not_found_then_success",
    "failure_then_success",
    "success_then_return",
    # Answers that must not count (payout_core.dispatch.answer); the truth is a payment, which queries then report.
    "wrong_order_no",  # a decline naming another order number
    "proxy_404",  # a proxy's 404 whose JSON body reads like a decline
    "answer_wrong_amount",  # a success naming another amount (queries too: the order waits for a person)
    "forged_signature",  # a decline with a signature made with another key (only a signing account checks it)
    # Later truth, found by follow-up queries and by the statement.
    "success_then_failed",  # says SUCCESS, never pays; queries and the statement say failed
    "quiet_return",  # paid, returned (退汇) `later_seconds` on; queries keep saying SUCCESS, the statement shows it
    "late_payment",  # accepted behind a 503, unknown to queries until it pays `later_seconds` on
    # Statement faults.
    "paid_other_amount",  # answers echo our amount, the channel pays another (the statement shows it)
    "statement_omits",  # paid, but the statement leaves the line out (its balance still counts it)
]
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)

SUCCESS = "SUCCESS"
PROCESSING = "PROCESSING"
ACCOUNT_INVALID = "ACCOUNT_INVALID"
ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
BANK_RETURNED = "BANK_RETURNED"
UNDOCUMENTED = "E_UNDOCUMENTED_7031"

# The rules a profile would declare for this channel (the fake stands in for a real one in tests and simulations).
FAKE_RULES = Outcomes(
    success_codes=frozenset({SUCCESS}),
    failure_codes=frozenset({ACCOUNT_INVALID}),
    pending_codes=frozenset({PROCESSING}),
    not_found_codes=frozenset({ORDER_NOT_FOUND}),
    return_codes=frozenset({BANK_RETURNED}),
    not_found_grace_seconds=1800,
    resend_safe=True,
)


class PayoutRequest(msgspec.Struct, frozen=True, kw_only=True):
    account: str  # the channel account (商户号) the payout is paid from
    order_no: str
    account_no: str
    account_name: str
    account_type: str
    amount: int


class QueryRequest(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    order_no: str


class Answer(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """`sign`: HMAC-SHA256 (hex) of `signed_text()`, when the account has a key."""

    order_no: str
    code: str
    message: str = ""
    amount: int | None = None
    channel_ref: str | None = None
    sign: str | None = None

    def signed_text(self) -> bytes:
        """The canonical string the channel signs: `key=value` of every other non-empty field, sorted, by `&`."""
        fields = {f: getattr(self, f) for f in self.__struct_fields__ if f != "sign"}
        return "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v not in (None, "")).encode()


class ScenarioSetting(msgspec.Struct, frozen=True, kw_only=True):
    """Drives how the fake answers one order; `hidden_queries` is how many queries say "not found" first."""

    scenario: Scenario
    hidden_queries: int = 2
    later_seconds: int = 0  # when the later event (a return, a late payment) happens after the dispatch


class OrderRecord(msgspec.Struct, kw_only=True):
    """The fake's own truth about an order, readable by tests and the simulation through the control API."""

    order_no: str
    scenario: Scenario
    hidden_queries: int = 2
    later_seconds: int = 0
    account: str = ""
    channel_ref: str = ""
    dispatches: int = 0  # every dispatch request received, resends included
    queries: int = 0
    accepted: bool = False  # the channel took the order (at most once per order number)
    paid: bool = False  # money left for the recipient (never twice: the order number is idempotent)
    failed: bool = False
    returned: bool = False
    amount: int = 0  # as requested
    paid_amount: int = 0  # as paid (paid_other_amount: not the requested one)
    accepted_at: int = 0  # the fake's clock (microseconds UTC) at each event
    paid_at: int | None = None
    failed_at: int | None = None
    returned_at: int | None = None


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a statement as the fake's truth has it; tests/fakechannel/statement.py writes it in a layout."""

    order_no: str
    channel_ref: str
    status: LineStatus
    amount: int
    at: int


class StatementData(msgspec.Struct, frozen=True, kw_only=True):
    lines: list[StatementLine]
    closing_balance: int
