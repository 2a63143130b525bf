"""Bank and 联行号 lookups for validation, memoised because bank names and branches repeat endlessly in payouts.

`BankDirectory.by_name` falls back to a scan for the longest known prefix (浙商银行上海分行 → 浙商银行); a few
hundred distinct names cover a payout stream, so the answers are kept.
"""

from __future__ import annotations

from functools import lru_cache

from cardbin import cnaps
from cardbin.banks import default_directory
from cardbin.model import Bank


@lru_cache(maxsize=4096)
def bank_by_code(code: str | None) -> Bank | None:
    return default_directory().by_code(code) if code else None


@lru_cache(maxsize=4096)
def bank_by_name(name: str | None) -> Bank | None:
    return default_directory().by_name(name) if name else None


def named_bank(code: str | None, name: str | None) -> Bank | None:
    """The bank a pair of fields names: by code when there is one (codes are exact), else by name."""
    return bank_by_code(code) if code else bank_by_name(name)


@lru_cache(maxsize=4096)
def cnaps_problem(code: str) -> str | None:
    """What is wrong with a 联行号 (its length, digits or check digit), or None; branches repeat like banks do."""
    try:
        cnaps.validate(code)
    except ValueError as e:  # cardbin's InvalidCnapsCode, whose `rule` says what is wrong
        return str(getattr(e, "rule", e))
    return None
