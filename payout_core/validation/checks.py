"""The rules a recipient must meet for a channel, each broken one a `Violation`: shared by validate and prepare."""

from __future__ import annotations

from operator import attrgetter

from cardbin.banks.directory import SHARED_CATEGORIES
from cardbin.model import Bank
from cardbin.pan import mask
from payout_core.channels.profile import AccountRules, ChannelProfile, Requirement
from payout_core.names.chars import describe
from payout_core.names.check import name_problems
from payout_core.recipient import PERSONAL_FIELDS, Recipient
from payout_core.validation.banks import bank_by_code, bank_by_name, cnaps_problem
from payout_core.validation.personal import id_no_problem, mobile_problem
from payout_core.validation.rules import AccountTypeRules, remember, rules_for
from payout_core.validation.violation import Violation, ViolationCode, masked

# Fields prepare can fill from a card's BIN, so a missing one is only a hint before prepare.
DERIVABLE = ("bank_name", "bank_code", "branch_name", "province", "city", "cnaps_code")
_OPTIONAL_TEXT = (*DERIVABLE, "id_no", "mobile", "purpose")
TEXT_FIELDS = ("name", "account_no", *_OPTIONAL_TEXT)
_optional_text = attrgetter(*_OPTIONAL_TEXT)
_ABSENT_OR_TEXT = frozenset({str, type(None)})
# How each personal field is written once normalised: said instead of echoing the value.
_PERSONAL_FORM = {
    "account_no": "digits only",
    "id_no": "the 18-character 身份证 number without separators",
    "mobile": "the 11-digit national mobile number",
}


def type_violations(r: Recipient) -> list[Violation]:
    """Structs are not type-checked on construction, so a caller may hand over anything."""
    if (
        type(r.name) is str
        and type(r.account_no) is str
        and type(r.amount) is int
        and _ABSENT_OR_TEXT.issuperset(map(type, _optional_text(r)))
    ):
        return []  # the common case, answered in one pass: this runs for every recipient
    out = []
    for field in TEXT_FIELDS:
        value = getattr(r, field)
        required = field in ("name", "account_no")
        if not isinstance(value, str) and (required or value is not None):
            out.append(Violation(field=field, code="format", message=f"must be text, got {type(value).__name__}"))
    if not isinstance(r.amount, int) or isinstance(r.amount, bool):
        out.append(
            Violation(field="amount", code="format", message=f"must be integer fen, got {type(r.amount).__name__}")
        )
    return out


def normalisation_violations(r: Recipient, n: Recipient) -> list[Violation]:
    if n is r or r == n:
        return []
    out = []
    for field in TEXT_FIELDS:
        before, after = getattr(r, field), getattr(n, field)
        if after is None or before == after:
            continue
        if field in PERSONAL_FIELDS:  # never echoed: the suggestion is masked, or absent when nothing would be
            shown = mask(after) if field == "account_no" else masked(after)
            msg = f"must be written as {_PERSONAL_FORM[field]}"
            out.append(Violation(field=field, code="not_normalized", message=msg, suggestion=shown))
        else:
            msg = f"write {before!r} as {after!r}"
            out.append(Violation(field=field, code="not_normalized", message=msg, suggestion=after))
    return out


def _account_violations(r: Recipient, profile: ChannelProfile, rules: AccountRules | None) -> list[Violation]:
    out = []
    if r.account_type not in profile.account_types:
        accepted = " and ".join(profile.account_types)
        known = r.account_type in ("personal", "corporate")
        msg = (
            f"{r.account_type}: {profile.name} pays {accepted} accounts only"
            if known
            else "is not personal or corporate"
        )
        out.append(Violation(field="account_type", code="account_type", message=msg))
    number = r.account_no if isinstance(r.account_no, str) else ""
    if not number:
        return [*out, Violation(field="account_no", code="required", message="is empty")]
    bad = None if number.isascii() and number.isdigit() else next(c for c in number if not ("0" <= c <= "9"))
    if bad is not None:
        msg = f"{mask(number)} contains {describe(bad)}; only digits are allowed"
        out.append(Violation(field="account_no", code="format", message=msg))
    if rules is not None and not rules.min_length <= len(number) <= rules.max_length:
        code: ViolationCode = "too_short" if len(number) < rules.min_length else "too_long"
        msg = f"{mask(number)} has {len(number)} digits; {rules.min_length}–{rules.max_length} are allowed"
        out.append(Violation(field="account_no", code=code, message=msg))
    return out


def _amount_violations(r: Recipient, profile: ChannelProfile, ceiling: int | None) -> list[Violation]:
    """`ceiling` is the profile's lowest limit (AccountTypeRules.amount_ceiling): an amount from the minimum up to
    it breaks no limit, which is the common case; any other is compared with each limit."""
    amount = r.amount
    if not isinstance(amount, int) or isinstance(amount, bool):
        return []
    if profile.amount_min <= amount and (ceiling is None or amount <= ceiling):
        return []
    return _amount_limits_broken(amount, profile)


def _amount_limits_broken(amount: int, profile: ChannelProfile) -> list[Violation]:
    if amount < profile.amount_min:
        msg = f"{amount} fen is below {profile.name}'s minimum of {profile.amount_min} fen"
        return [Violation(field="amount", code="amount_range", message=msg)]
    limits = (
        (profile.amount_max, "the per-payout maximum"),
        (profile.daily_card_limit, "the per-card daily limit"),
        (profile.daily_limit, "the merchant's daily limit"),
    )
    over = [f"{what} {limit} fen" for limit, what in limits if limit is not None and amount > limit]
    if over:
        msg = f"{amount} fen exceeds {profile.name}'s " + " and ".join(over)
        return [Violation(field="amount", code="amount_range", message=msg)]
    return []


def _requirement_violations(r: Recipient, req: Requirement) -> list[Violation]:
    value = r.__getattribute__
    for group in req.any_of:
        if all(map(value, group)):
            return []
    missing = [[f for f in group if not value(f)] for group in req.any_of]
    best = min(missing, key=len)
    others = [" + ".join(g) for g, m in zip(req.any_of, missing, strict=True) if m is not best]
    alternative = f" (or give {' or '.join(others)} instead)" if others else ""
    out = []
    for field in best:
        hint = "; prepare fills it from the card's BIN" if field in DERIVABLE and r.account_type == "personal" else ""
        msg = f"is required for {r.account_type} payees{alternative}{hint}"
        out.append(Violation(field=field, code="required", message=msg))
    return out


def _bank_of(r: Recipient) -> tuple[Bank | None, list[Violation]]:
    """The bank the recipient names by code, else by name; codes and names that disagree are a violation."""
    by_name = bank_by_name(r.bank_name)
    if not r.bank_code:
        return by_name, []
    by_code = bank_by_code(r.bank_code)
    if by_code is None:
        msg = f"{r.bank_code!r:.40} is not a bank code of cardbin's bank directory"
        return None, [Violation(field="bank_code", code="bank_unknown", message=msg)]
    if by_name is not None and by_name.code != by_code.code:
        msg = f"{r.bank_code} is {by_code.name} but bank_name {r.bank_name!r} is {by_name.name}"
        return by_code, [Violation(field="bank_code", code="bank_mismatch", message=msg, suggestion=by_name.code)]
    return by_code, []


def _bank_violations(r: Recipient, profile: ChannelProfile, rules: AccountTypeRules) -> tuple[Violation, ...]:
    """Memoised per profile: they depend on three fields that repeat endlessly (the card's bank, after prepare)."""
    key = ("bank", r.bank_code, r.bank_name, r.cnaps_code)
    found: tuple[Violation, ...] | None = rules.memo.get(key)
    if found is None:
        found = remember(rules, key, tuple(_bank_fields_violations(r, profile)))
    return found


def _bank_fields_violations(r: Recipient, profile: ChannelProfile) -> list[Violation]:
    bank, out = _bank_of(r)
    if bank is not None and profile.bank_code_for(bank) is None:
        field = "bank_code" if r.bank_code else "bank_name"
        msg = f"{profile.name} cannot pay {bank.name} ({bank.code})"
        out.append(Violation(field=field, code="bank_unsupported", message=msg))
    if r.cnaps_code:
        rule = cnaps_problem(r.cnaps_code)
        if rule is not None:
            out.append(Violation(field="cnaps_code", code="format", message=f"{r.cnaps_code!r:.40}: {rule}"))
            return out
        category = r.cnaps_code[:3]
        if bank is not None and bank.cnaps_category not in (None, category) and category not in SHARED_CATEGORIES:
            msg = f"{r.cnaps_code} is a 联行号 of 行别 {category}, not of {bank.name} ({bank.cnaps_category})"
            out.append(Violation(field="cnaps_code", code="bank_mismatch", message=msg))
    return out


def _personal_violations(r: Recipient, profile: ChannelProfile, rules: AccountTypeRules) -> list[Violation]:
    """身份证 and mobile numbers, where the channel receives them; messages name the rule, never the value."""
    out = []
    if r.id_no and rules.receives_id_no:
        problem = id_no_problem(r.id_no, profile.legacy_id)
        if problem:
            out.append(Violation(field="id_no", code="format", message=problem))
    if r.mobile and rules.receives_mobile:
        problem = mobile_problem(r.mobile)
        if problem:
            out.append(Violation(field="mobile", code="format", message=problem))
    return out


def check(r: Recipient, profile: ChannelProfile) -> list[Violation]:
    """Every rule on an already normalised recipient (prepare calls this after filling fields)."""
    rules = rules_for(profile, r.account_type)
    out = _account_violations(r, profile, rules.account)
    out += _amount_violations(r, profile, rules.amount_ceiling)
    if isinstance(r.name, str) and rules.name is not None:  # no rules: the account type is refused already
        out += [Violation(field="name", code=p.code, message=p.message) for p in name_problems(r.name, rules.name)]
    if not all(rules.first_choices(r)):  # else every requirement is met by its first group, the common case
        for req in rules.requires:
            out += _requirement_violations(r, req)
    out += _bank_violations(r, profile, rules)
    if r.id_no or r.mobile:
        out += _personal_violations(r, profile, rules)
    return out
