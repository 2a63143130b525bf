"""Limits on what a merchant may submit: per card per day, per merchant per day, and who may call the API."""

from payout_core.limits.allowlist import check_caller, parse_allowlist
from payout_core.limits.daily import CHINA, business_day, card_key, consume_order, release_order, used
from payout_core.limits.errors import CallerNotAllowed, LimitError, LimitExceeded

__all__ = [
    "CHINA",
    "CallerNotAllowed",
    "LimitError",
    "LimitExceeded",
    "business_day",
    "card_key",
    "check_caller",
    "consume_order",
    "parse_allowlist",
    "release_order",
    "used",
]
