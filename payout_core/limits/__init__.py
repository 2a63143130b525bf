"""Limits: per card and per merchant per day at submission, a channel's own per card per day at routing, and who
may call the API."""

from payout_core.limits.allowlist import check_caller, parse_allowlist
from payout_core.limits.channel import (
    CARD_USAGE_JOIN,
    card_used,
    release_card_use,
    send_card_use,
    send_card_use_undo,
)
from payout_core.limits.daily import CHINA, business_day, card_key, consume_order, refusal, release_order, used
from payout_core.limits.errors import CallerNotAllowed, LimitError, LimitExceeded

__all__ = [
    "CARD_USAGE_JOIN",
    "CHINA",
    "CallerNotAllowed",
    "LimitError",
    "LimitExceeded",
    "business_day",
    "card_key",
    "card_used",
    "check_caller",
    "consume_order",
    "parse_allowlist",
    "refusal",
    "release_card_use",
    "release_order",
    "send_card_use",
    "send_card_use_undo",
    "used",
]
