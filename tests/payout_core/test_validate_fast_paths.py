"""Each shortcut validation takes for the common case (issue 17: 50,000 recipients/s) agrees with the full rule.

The shortcuts only decide that no rule can apply (an amount within the lowest limit, a recipient already
normalised, a card's fields seen before, a profile's rules gathered once, its bank verdicts remembered, its
requirements met by their first groups); these properties compare them with
the full computation over arbitrary input, on every channel.
"""

from __future__ import annotations

import importlib
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardbin import cnaps
from cardbin.resolve import Resolver
from payout_core import Recipient, channel
from payout_core.channels import channel_names
from payout_core.channels.profile import ChannelProfile
from payout_core.names.normalize import normalize_name
from payout_core.validation import checks, rules
from payout_core.validation.banks import cnaps_problem
from payout_core.validation.normalize import (
    normalize_account,
    normalize_field,
    normalize_id_no,
    normalize_mobile,
    normalize_recipient,
)

prepare_module = importlib.import_module("payout_core.validation.prepare")  # the package exports the function
_CHANNELS = st.sampled_from(channel_names())
_ACCOUNT_TYPES = st.sampled_from(["personal", "corporate", "", "其他", "Personal"])
_OPTIONAL = ("bank_name", "bank_code", "branch_name", "province", "city", "cnaps_code", "id_no", "mobile", "purpose")
_VALUES = (
    st.none()
    | st.text(max_size=20)
    | st.sampled_from(
        ["11010519491231002X", " 110105 19491231 002x ", "110105491231002", "+86 138-0013-8000", "13800138000 ", "icbc"]
    )
)
_RECIPIENTS = st.builds(
    Recipient,
    name=st.text(max_size=12) | st.sampled_from(["张三", "买买提•艾力", " 李 娜 ", "ＬＩ　ＬＥＩ"]),
    account_no=st.text(alphabet="0123456789 -１２", max_size=22),
    account_type=_ACCOUNT_TYPES,
    amount=st.integers(),
    **dict.fromkeys(_OPTIONAL, _VALUES),
)


@settings(max_examples=300, deadline=None)
@given(channel_name=_CHANNELS, account_type=_ACCOUNT_TYPES)
def test_the_rules_gathered_once_are_the_profiles_own(channel_name: str, account_type: Any) -> None:
    profile = channel(channel_name)
    got = rules.rules_for(profile, account_type)
    assert got is rules.rules_for(profile, account_type)  # gathered once
    assert got.account == profile.account_rules(account_type)
    assert got.name == profile.name_rules(account_type)
    assert got.requires == tuple(req for req in profile.requires if account_type in req.account_types)
    assert got.receives_id_no == profile.checks("id_no", account_type)
    assert got.receives_mobile == profile.checks("mobile", account_type)


def test_a_changed_profile_gets_its_own_rules() -> None:
    """Profiles are cached by identity: a copy with other rules (a test's or a tenant's) never reads the original's."""
    generic = channel("generic")
    stricter = msgspec.structs.replace(generic, amount_max=500, carries=("id_no",), requires=())
    assert rules.rules_for(stricter, "personal").amount_ceiling == 500
    assert rules.rules_for(stricter, "personal").receives_id_no
    assert rules.rules_for(stricter, "personal").requires == ()
    assert rules.rules_for(generic, "personal").requires != ()


def test_the_cache_of_profiles_stays_bounded() -> None:
    base = channel("generic")
    copies = [msgspec.structs.replace(base, amount_min=i) for i in range(200)]
    for copy in copies:
        assert rules.rules_for(copy, "personal").account == base.personal_account
    assert len(rules._by_profile) <= rules._CACHED


@settings(max_examples=500, deadline=None)
@given(
    channel_name=_CHANNELS,
    account_type=_ACCOUNT_TYPES,
    amount=st.integers(-10, 20_000_000_000) | st.sampled_from([0, 1, 9, 10, 100, 5_000_000, 10_000_000, 20_000_000]),
)
def test_the_amount_shortcut_agrees_with_every_limit(channel_name: str, account_type: Any, amount: int) -> None:
    profile = channel(channel_name)
    r = Recipient(name="张三", account_no="6222021234567890128", account_type=account_type, amount=amount)
    ceiling = rules.rules_for(profile, account_type).amount_ceiling
    assert checks._amount_violations(r, profile, ceiling) == checks._amount_limits_broken(amount, profile)


def _normalized_field_by_field(r: Recipient, profile: ChannelProfile) -> Recipient:
    """normalize_recipient as first written: every text field through its normaliser, the profile asked directly."""
    changes: dict[str, Any] = {}
    if isinstance(r.name, str):
        changes["name"] = normalize_name(r.name)
    if isinstance(r.account_no, str):
        changes["account_no"] = normalize_account(r.account_no)
    for field in _OPTIONAL:
        value = getattr(r, field)
        if isinstance(value, str):
            changes[field] = normalized = normalize_field(field, value)
            if normalized and field == "id_no" and profile.checks("id_no", r.account_type):
                changes[field] = normalize_id_no(normalized, profile.legacy_id)
            if normalized and field == "mobile" and profile.checks("mobile", r.account_type):
                changes[field] = normalize_mobile(normalized)
    return msgspec.structs.replace(r, **changes)


@settings(max_examples=500, deadline=None)
@given(recipient=_RECIPIENTS, channel_name=_CHANNELS)
def test_normalising_only_what_changes_agrees_field_by_field(recipient: Recipient, channel_name: str) -> None:
    profile = channel(channel_name)
    got = normalize_recipient(recipient, profile)
    assert got == _normalized_field_by_field(recipient, profile)
    assert (got is recipient) == (got == recipient)  # a recipient already normalised is returned, not copied


@settings(max_examples=500, deadline=None)
@given(code=st.text(alphabet="0123456789X１ ", min_size=10, max_size=13) | st.sampled_from(["102100099996"]))
def test_the_memoised_cnaps_check_is_cardbins(code: str) -> None:
    try:
        cnaps.validate(code)
    except ValueError as e:
        expected: str | None = str(getattr(e, "rule", e))
    else:
        expected = None
    assert cnaps_problem(code) == expected
    assert cnaps_problem(code) == expected  # and again, from the memo


@pytest.fixture(scope="module")
def cards() -> list[tuple[Resolver, str]]:
    """One card number of every BIN row of the bundled release (banks, branches and regions of every kind)."""
    resolver = Resolver.open()
    rows = [(b, row.record.pan_length) for b, rs in resolver.index.rows_by_bin.items() for row in rs]
    return [(resolver, (b + "1234567890123456789")[:length]) for b, length in rows if len(b) < length]


def test_what_a_card_fills_is_the_same_memoised_or_not(cards: list[tuple[Resolver, str]]) -> None:
    """_card_fields is keyed by the CardInfo fields it reads: a fresh computation gives what the memo holds, and
    _fill fills exactly what it gives."""
    for resolver, number in cards:
        card = resolver.lookup(number)
        key = prepare_module._card_key(card)
        fresh = prepare_module._card_fields.__wrapped__(key)
        assert prepare_module._card_fields(key) == fresh
        person = Recipient(name="张三", account_no=number, account_type="personal", amount=100)
        filled, derived = prepare_module._fill(person, card)
        assert {f: getattr(filled, f) for f in derived} == dict(fresh.values)


def test_filling_a_bare_recipient_takes_what_the_general_fill_would(cards: list[tuple[Resolver, str]]) -> None:
    """_fill's shortcut (no bank or branch field given: take everything the card tells) agrees with the general
    path, which fills only the gaps and only from a card of the bank named."""
    for resolver, number in cards:
        card = resolver.lookup(number)
        person = Recipient(name="张三", account_no=number, account_type="personal", amount=100)
        assert prepare_module._fill(person, card) == prepare_module._fill_around(person, card)


_BANK_VALUES = st.none() | st.sampled_from(["ICBC", "CCB", "icbc", "NOSUCH", "", "中国工商银行", "招商银行上海分行"])
_CNAPS_VALUES = st.none() | st.sampled_from(["102100099996", "105100000017", "102100099990", "12345", ""])


@settings(max_examples=400, deadline=None)
@given(
    channel_name=_CHANNELS,
    bank_code=_BANK_VALUES,
    bank_name=_BANK_VALUES,
    cnaps_code=_CNAPS_VALUES,
    account_type=_ACCOUNT_TYPES,
)
def test_the_memoised_bank_verdicts_are_computed_afresh_alike(
    channel_name: str, bank_code: str | None, bank_name: str | None, cnaps_code: str | None, account_type: Any
) -> None:
    """Bank verdicts are memoised per profile by the three fields they read: any recipient (any account type)
    with those fields gets what a fresh computation gives."""
    profile = channel(channel_name)
    r = Recipient(
        name="张三",
        account_no="6222021234567890128",
        account_type=account_type,
        amount=100,
        bank_code=bank_code,
        bank_name=bank_name,
        cnaps_code=cnaps_code,
    )
    fresh = checks._bank_fields_violations(r, profile)
    rules_of = rules.rules_for(profile, account_type)
    assert list(checks._bank_violations(r, profile, rules_of)) == fresh
    assert list(checks._bank_violations(r, profile, rules_of)) == fresh  # and again, from the memo


def test_the_memo_of_a_profile_stays_bounded() -> None:
    """Its keys hold what users type (any bank name), so it starts afresh when full instead of growing."""
    profile = msgspec.structs.replace(channel("generic"))
    rules_of = rules.rules_for(profile, "personal")
    for i in range(rules._MEMO_SIZE + 10):
        r = Recipient(
            name="张三", account_no="6222021234567890128", account_type="personal", amount=1, bank_name=f"b{i}"
        )
        checks._bank_violations(r, profile, rules_of)
        assert len(rules_of.memo) <= rules._MEMO_SIZE
    assert rules.rules_for(profile, "corporate").memo is rules_of.memo  # one memo per profile


@settings(max_examples=500, deadline=None)
@given(recipient=_RECIPIENTS, channel_name=_CHANNELS)
def test_the_requirement_shortcut_only_skips_requirements_that_are_met(recipient: Recipient, channel_name: str) -> None:
    """check() skips the requirements when every first group is complete: then each requirement is met, and the
    shortcut reads exactly the first groups' fields."""
    rules_of = rules.rules_for(channel(channel_name), recipient.account_type)
    first = tuple(dict.fromkeys(f for req in rules_of.requires for f in req.any_of[0]))
    assert rules_of.first_choices(recipient) == tuple(getattr(recipient, f) for f in first)
    if all(rules_of.first_choices(recipient)):
        assert [v for req in rules_of.requires for v in checks._requirement_violations(recipient, req)] == []
