"""Channel profiles: the shipped files load with the documented facts; a broken file is refused precisely."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import payout_core
from cardbin.banks import default_directory
from payout_core.channels import (
    ChannelProfile,
    ProfileError,
    UnknownChannel,
    channel,
    channel_names,
    load_all,
    load_profile,
    loader,
)
from payout_core.channels.loader import PROFILES_DIR
from payout_core.channels.profile import ASSUMPTION

SHIPPED = ["alipay_bankcard", "allinpay", "baofoo", "generic", "lianlian", "wechat_bank"]
ICBC = default_directory().by_code("ICBC")
WEBANK = default_directory().by_code("WEBANK")


def test_every_channel_ships_and_loads() -> None:
    assert channel_names() == SHIPPED
    for name in SHIPPED:
        profile = payout_core.channel(name)
        assert isinstance(profile, ChannelProfile)
        assert profile.name == name
        assert profile is channel(name)  # cached: loaded once per process


def test_unknown_channel_names_the_known_ones() -> None:
    with pytest.raises(UnknownChannel, match="wechat_bank"):
        channel("../generic")


def test_wechat_facts() -> None:
    wechat = channel("wechat_bank")
    assert wechat.account_types == ("personal",)
    assert wechat.amount_max == 2_000_000  # 20,000 CNY in fen
    assert wechat.daily_card_limit == 2_000_000
    assert wechat.daily_limit == 10_000_000  # issue 17: the merchant's 100,000 CNY a day was missing
    assert wechat.requests_per_second == 30


def test_bank_codes_per_scheme() -> None:
    assert ICBC is not None and WEBANK is not None
    assert channel("wechat_bank").bank_code_for(ICBC) == "1002"
    assert channel("alipay_bankcard").bank_code_for(ICBC) == "ICBC"
    assert channel("lianlian").bank_code_for(ICBC) == "01020000"
    assert channel("allinpay").bank_code_for(ICBC) == "0102"
    assert channel("wechat_bank").bank_code_for(WEBANK) is None  # WeChat's list has no 微众银行


def test_supports_bank() -> None:
    wechat = channel("wechat_bank")
    assert wechat.supports_bank("ICBC")
    assert wechat.supports_bank("icbc")
    assert not wechat.supports_bank("WEBANK")
    assert not wechat.supports_bank("NOSUCHBANK")
    assert not wechat.supports_bank(None)
    assert channel("generic").supports_bank("WEBANK")


def test_outcomes_default_to_reading_nothing_as_final() -> None:
    outcomes = channel("generic").outcomes
    assert outcomes.success_codes == frozenset()
    assert outcomes.failure_codes == frozenset()
    assert not outcomes.resend_safe


def _profile(tmp_path: Path, name: str, text: str, source: str = "") -> Path:
    """The shipped generic profile under another name, with sections inserted and their source lines added."""
    base = (PROFILES_DIR / "generic.toml").read_text(encoding="utf-8").replace('name = "generic"', f'name = "{name}"')
    path = tmp_path / f"{name}.toml"
    path.write_text(base.replace("[sources]\n", f"{text}\n[sources]\n{source}\n"), encoding="utf-8")
    return path


def test_outcomes_section_is_read(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        "acme",
        '\n[outcomes]\nsuccess_codes = ["SUCCESS"]\nfailure_codes = ["FAILED"]\nnot_found_codes = ["8901"]\n'
        'return_codes = ["BANK_FAIL"]\nnot_found_grace_seconds = 1800\nresend_safe = true\n',
        'outcomes = "the acme manual, section 4"',
    )
    outcomes = load_profile(path).outcomes
    assert outcomes.success_codes == {"SUCCESS"}
    assert outcomes.failure_codes == {"FAILED"}
    assert outcomes.not_found_codes == {"8901"}
    assert outcomes.return_codes == {"BANK_FAIL"}
    assert outcomes.not_found_grace_seconds == 1800
    assert outcomes.resend_safe


_MINIMAL = {
    "name": '"generic"',
    "title": '"t"',
    "account_types": '["personal"]',
    "amount_min": "1",
    "amount_max": "100",
    "bank_code_scheme": '"cardbin"',
    "personal_account": "{ min_length = 12, max_length = 19 }",
    "personal_name": "{ max_length = 30 }",
}
_SOURCED = "\n".join(
    ["[sources]", *(f'{key} = "assumption: a test"' for key in _MINIMAL if key not in ("name", "title"))]
)


@pytest.mark.parametrize(
    ("top", "sections", "key", "reason"),
    [
        ({"amount_max": '"lots"'}, "", "amount_max", "Expected `int | null`, got `str`"),
        ({"amount_max": "-5"}, "", "amount_max", ">= 0"),
        ({"bank_code_scheme": '"swift"'}, "", "bank_code_scheme", "Invalid enum value 'swift'"),
        ({"colour": '"red"'}, "", "", "unknown field `colour`"),
        ({"account_types": '["household"]'}, "", "account_types[0]", "household"),
        ({"account_types": "[]"}, "", "account_types", "length >= 1"),
        ({"account_types": '["personal", "corporate"]'}, "", "", "corporate_account and corporate_name are required"),
        ({"amount_min": "900"}, "", "", "amount_min='900': exceeds amount_max 100"),
        ({"bank_code_scheme": '"table"'}, "", "", "must be given exactly when"),
        ({"bank_code_scheme": '"table"', "bank_codes": '{ ICBC = "1", NOSUCHBANK = "2" }'}, "", "", "NOSUCHBANK"),
        ({"bank_code_scheme": '"table"', "bank_codes": '{ icbc = "1" }'}, "", "", "canonical codes"),
        ({}, '[[requires]]\nany_of = [["nickname"]]\nsource = "x"', "requires[0].any_of[0][0]", "nickname"),
        ({}, '[[requires]]\nany_of = [["purpose"]]', "requires[0]", "missing required field `source`"),
        # No group could ever be met, or an empty group always would be: both are refused, not guessed at.
        ({}, '[[requires]]\nany_of = []\nsource = "x"', "requires[0].any_of", "length >= 1"),
        ({}, '[[requires]]\nany_of = [[]]\nsource = "x"', "requires[0].any_of[0]", "length >= 1"),
        ({"personal_name": '{ max_length = 30, middle_dot = "strip" }'}, "", "personal_name", "`middle_dot`"),
        (
            {"personal_name": "{ min_length = 9, max_length = 3 }"},
            "",
            "personal_name",
            "min_length='9': exceeds max_length 3",
        ),
        ({"personal_account": "{ min_length = 0, max_length = 3 }"}, "", "personal_account.min_length", ">= 1"),
        ({"legacy_id": '"guess"'}, "", "legacy_id", "Invalid enum value 'guess'"),
        ({}, "[outcomes]\nresend_safe = 1", "outcomes.resend_safe", "Expected `bool`"),
        ({}, "[outcomes]\nsuccess = []", "outcomes", "unknown field `success`"),
        ({}, '[outcomes]\nsuccess_codes = ["OK"]\nfailure_codes = ["OK"]', "outcomes", "both success_codes and"),
    ],
)
def test_broken_profile_is_refused_with_file_key_reason(
    tmp_path: Path, top: dict[str, str], sections: str, key: str, reason: str
) -> None:
    path = tmp_path / "generic.toml"
    path.write_text(_toml({**_MINIMAL, **top}, sections), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    err = info.value
    assert (err.file, err.key) == (path, key)
    assert reason in err.reason
    assert str(path) in str(err)


def _toml(top: dict[str, str], sections: str, sources: str = _SOURCED) -> str:
    return "".join(f"{k} = {v}\n" for k, v in top.items()) + sections + "\n" + sources + "\n"


def test_minimal_profile_loads(tmp_path: Path) -> None:
    path = tmp_path / "generic.toml"
    path.write_text(_toml(_MINIMAL, ""), encoding="utf-8")
    profile = load_profile(path)
    assert profile.amount_max == 100
    assert profile.personal_name is not None and profile.personal_name.min_length == 2
    assert profile.corporate_name is None  # a channel that pays no companies needs no company rules
    assert profile.requires == ()
    assert profile.legacy_id == "refuse"


@pytest.mark.parametrize(
    ("top", "sources", "key", "reason"),
    [
        ({"batch_max": "5"}, _SOURCED, "batch_max", "no entry in [sources]"),
        ({}, _SOURCED.replace('amount_max = "assumption: a test"', ""), "amount_max", "no entry in [sources]"),
        ({}, _SOURCED + '\nbatch_max = "a document"', "sources.batch_max", "names no rule this file sets"),
        ({}, _SOURCED + '\n"personal_name.max_length" = "x"', "", ""),  # per key as well as per table: fine
        (
            {"personal_name": "{ max_length = 30, digits = true }"},
            _SOURCED.replace('personal_name = "assumption: a test"', '"personal_name.max_length" = "x"'),
            "personal_name.digits",
            "no entry in [sources]",
        ),
        ({}, _SOURCED.replace('amount_min = "assumption: a test"', 'amount_min = " "'), "sources.amount_min", "empty"),
    ],
)
def test_every_rule_a_file_sets_has_a_source_or_an_assumption(
    tmp_path: Path, top: dict[str, str], sources: str, key: str, reason: str
) -> None:
    """Issue 17: rules with no source changed valid names; now a rule without a source does not load."""
    path = tmp_path / "generic.toml"
    path.write_text(_toml({**_MINIMAL, **top}, "", sources), encoding="utf-8")
    if not reason:
        assert load_profile(path).name == "generic"
        return
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert (info.value.key, reason in info.value.reason) == (key, True)


def test_shipped_profiles_name_a_source_for_every_rule() -> None:
    for profile in load_all().values():
        assert profile.sources, profile.name
        for key, source in profile.sources.items():
            assert len(source) > 20, (profile.name, key)  # a citation or a reason, not a placeholder
        for requirement in profile.requires:
            assert len(requirement.source) > 20, profile.name


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "generic.toml"
    path.write_text('name = "generic"\namount_max = [\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(path)


def test_name_must_match_file(tmp_path: Path) -> None:
    path = _profile(tmp_path, "acme", "")
    renamed = path.with_name("other.toml")
    path.rename(renamed)
    with pytest.raises(ProfileError) as info:
        load_profile(renamed)
    assert info.value.key == "name"


def test_workers_asking_at_once_share_one_loaded_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight routing threads starting together: one decode, one object (concurrent decodes crashed a process)."""
    monkeypatch.setattr(loader, "_loaded", {})
    barrier = threading.Barrier(8)
    found: list[object] = []

    def first_route() -> None:
        barrier.wait()
        found.append(channel("wechat_bank"))

    threads = [threading.Thread(target=first_route) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8 and len({id(p) for p in found}) == 1


def test_the_readme_channel_table_shows_what_is_sourced_and_what_assumed() -> None:
    """The README's table is the profiles' own provenance: a rule changed in a profile shows up, or this fails."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- channel-rules:start -->\n", 1)[1].split("\n<!-- channel-rules:end -->", 1)[0]
    rows = []
    for name, profile in load_all().items():
        sourced = [rule for rule, source in profile.provenance() if not source.startswith(ASSUMPTION)]
        assumed = [rule for rule, source in profile.provenance() if source.startswith(ASSUMPTION)]
        rows.append(f"| `{name}` | {', '.join(sourced) or '—'} | {', '.join(assumed) or '—'} |")
    header = ["| channel | rules from a public source | rules we assume |", "|---|---|---|"]
    assert block.splitlines() == header + rows
