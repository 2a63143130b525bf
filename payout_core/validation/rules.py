"""A channel profile's rules for one account type, looked up once per profile instead of once per recipient.

Validation runs for every recipient of a payout file against one or two profiles, so what each rule needs from
the profile (the account and name rules, the requirements that apply, whether 身份证 and mobile are received, the
lowest amount limit) is gathered here once. Nothing is decided here: the checks still apply every rule.
Each profile also gets one memo for what depends on the profile and a few repeating values alone (the bank
fields' verdicts), held as long as the profile's rules are.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from payout_core.channels.profile import AccountRules, ChannelProfile, Requirement
from payout_core.names.rules import NameRules
from payout_core.recipient import AccountType

T = TypeVar("T")
_ACCOUNT_TYPES: tuple[AccountType, ...] = ("personal", "corporate")
_CACHED = 64  # profiles kept; a process has a handful (one per channel), tests build a few more
_MEMO_SIZE = 4096  # answers kept per profile: a payout stream names a few hundred banks and branches


class AccountTypeRules(NamedTuple):
    """What a profile asks of one account type (an unknown type is asked what the profile's methods ask of it)."""

    account: AccountRules | None
    name: NameRules | None
    requires: tuple[Requirement, ...]
    receives_id_no: bool
    receives_mobile: bool
    # The fields of every requirement's first group, as one call: when all are given, every requirement is met.
    first_choices: Callable[[object], tuple[object, ...]]
    # The lowest of the per-payout, per-card and daily limits: an amount from amount_min up to it breaks none.
    amount_ceiling: int | None
    # Shared by the profile's account types: answers that depend on the profile and the key alone (see memo()).
    memo: dict[Any, Any]


def remember(rules: AccountTypeRules, key: Any, value: T) -> T:
    """Keep `value` in the profile's memo (read with `rules.memo.get(key)`); a full memo starts afresh, since its
    keys hold what users type."""
    if len(rules.memo) >= _MEMO_SIZE:
        rules.memo.clear()
    rules.memo[key] = value
    return value


def _values_of(fields: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """The fields' values as a tuple, whatever their number (attrgetter answers a single field bare)."""
    if len(fields) >= 2:
        return attrgetter(*fields)
    return (lambda r: (getattr(r, fields[0]),)) if fields else (lambda r: ())


def _rules_of(profile: ChannelProfile, account_type: AccountType, shared: dict[Any, Any]) -> AccountTypeRules:
    limits = [x for x in (profile.amount_max, profile.daily_card_limit, profile.daily_limit) if x is not None]
    requires = tuple(req for req in profile.requires if account_type in req.account_types)
    return AccountTypeRules(
        account=profile.account_rules(account_type),
        name=profile.name_rules(account_type),
        requires=requires,
        first_choices=_values_of(tuple(dict.fromkeys(f for req in requires for f in req.any_of[0]))),
        receives_id_no=profile.checks("id_no", account_type),
        receives_mobile=profile.checks("mobile", account_type),
        amount_ceiling=min(limits) if limits else None,
        memo=shared,
    )


# id(profile) → the profile (held, so that no other object takes its id while it is here) and its rules per
# account type, None standing for any unknown type.
_by_profile: dict[int, tuple[ChannelProfile, dict[AccountType | None, AccountTypeRules]]] = {}


def rules_for(profile: ChannelProfile, account_type: object) -> AccountTypeRules:
    """The profile's rules for the account type; any value that is not a known type gets the unknown type's."""
    entry = _by_profile.get(id(profile))
    if entry is None:
        if len(_by_profile) >= _CACHED:
            _by_profile.clear()
        # An unknown account type: no requirement names it, and the profile's methods answer it as personal.
        shared: dict[Any, Any] = {}
        per_type: dict[AccountType | None, AccountTypeRules] = {
            t: _rules_of(profile, t, shared) for t in _ACCOUNT_TYPES
        }
        per_type[None] = _rules_of(profile, "unknown", shared)  # type: ignore[arg-type]
        entry = (profile, per_type)
        _by_profile[id(profile)] = entry
    return entry[1][account_type if account_type in _ACCOUNT_TYPES else None]
