"""The fake channel's wire format: what a dispatch and a query send, what comes back, and the scenario names."""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

from payout_core.channels import Outcomes

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
    order_no: str
    account_no: str
    account_name: str
    account_type: str
    amount: int


class QueryRequest(msgspec.Struct, frozen=True, kw_only=True):
    order_no: str


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    order_no: str
    code: str
    message: str = ""


class ScenarioSetting(msgspec.Struct, frozen=True, kw_only=True):
    """Drives how the fake answers one order; `hidden_queries` is how many queries say "not found" first."""

    scenario: Scenario
    hidden_queries: int = 2


class OrderRecord(msgspec.Struct, kw_only=True):
    """The fake's own truth about an order, readable by tests and the simulation through the control API."""

    order_no: str
    scenario: Scenario
    hidden_queries: int = 2
    dispatches: int = 0  # every dispatch request received, resends included
    queries: int = 0
    accepted: bool = False  # the channel took the order (at most once per order number)
    paid: bool = False  # money left for the recipient (never twice: the order number is idempotent)
    failed: bool = False
    returned: bool = False
    amount: int = 0
