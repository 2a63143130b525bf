"""Limits: per card and per merchant per day at submission, a channel's own per card and per account per day at
routing, and who may call the API."""

from payout_core.days import CHINA, business_day
from payout_core.limits.allowlist import check_caller, parse_allowlist
from payout_core.limits.channel import ACCOUNT_TOTAL, channel_uses, count_channel_use, release_channel_use
from payout_core.limits.daily import card_key, consume_order, refusal, release_order, used
from payout_core.limits.errors import CallerNotAllowed, LimitError, LimitExceeded

__all__ = [
    "ACCOUNT_TOTAL",
    "CHINA",
    "CallerNotAllowed",
    "LimitError",
    "LimitExceeded",
    "business_day",
    "card_key",
    "channel_uses",
    "check_caller",
    "consume_order",
    "count_channel_use",
    "parse_allowlist",
    "refusal",
    "release_channel_use",
    "release_order",
    "used",
]
