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
    load_profile,
    loader,
)
from payout_core.channels.loader import PROFILES_DIR

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
    assert wechat.requests_per_second == 30


def test_alipay_corporate_limit_differs() -> None:
    alipay = channel("alipay_bankcard")
    assert alipay.max_amount("personal") == 5_000_000
    assert alipay.max_amount("corporate") == 10_000_000


def test_bank_codes_per_scheme() -> None:
    assert ICBC is not None and WEBANK is not None
    assert channel("wechat_bank").bank_code_for(ICBC) == "1002"
    assert channel("alipay_bankcard").bank_code_for(ICBC) == "ICBC"
    assert channel("lianlian").bank_code_for(ICBC) == "01020000"
    assert channel("wechat_bank").bank_code_for(WEBANK) is None  # no WeChat code known for 微众银行


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


def _profile(tmp_path: Path, name: str, text: str) -> Path:
    """The shipped generic profile under another name, with sections appended."""
    base = (PROFILES_DIR / "generic.toml").read_text(encoding="utf-8").replace('name = "generic"', f'name = "{name}"')
    path = tmp_path / f"{name}.toml"
    path.write_text(base + text, encoding="utf-8")
    return path


def test_outcomes_section_is_read(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        "acme",
        '\n[outcomes]\nsuccess_codes = ["SUCCESS"]\nfailure_codes = ["FAILED"]\nnot_found_codes = ["8901"]\n'
        'return_codes = ["BANK_FAIL"]\nnot_found_grace_seconds = 1800\nresend_safe = true\n',
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
    "bank_code_scheme": '"alipay"',
}


@pytest.mark.parametrize(
    ("top", "sections", "key", "reason"),
    [
        ({"amount_max": '"lots"'}, "", "amount_max", "Expected `int`, got `str`"),
        ({"amount_max": "-5"}, "", "amount_max", ">= 0"),
        ({"bank_code_scheme": '"swift"'}, "", "bank_code_scheme", "Invalid enum value 'swift'"),
        ({"colour": '"red"'}, "", "", "unknown field `colour`"),
        ({"account_types": '["household"]'}, "", "account_types[0]", "household"),
        ({"account_types": "[]"}, "", "account_types", "length >= 1"),
        ({"amount_min": "900"}, "", "", "amount_min='900': exceeds"),
        ({"banks": '["ICBC", "NOSUCHBANK"]'}, "", "", "NOSUCHBANK"),
        ({}, '[[requires]]\nany_of = [["nickname"]]', "requires[0].any_of[0][0]", "nickname"),
        ({}, '[personal_name]\nmiddle_dot = "maybe"', "personal_name.middle_dot", "maybe"),
        (
            {},
            "[personal_name]\nmin_length = 9\nmax_length = 3",
            "personal_name",
            "min_length='9': exceeds max_length 3",
        ),
        ({}, "[personal_account]\nmin_length = 0\nmax_length = 3", "personal_account.min_length", ">= 1"),
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


def _toml(top: dict[str, str], sections: str) -> str:
    return "".join(f"{k} = {v}\n" for k, v in top.items()) + sections + "\n"


def test_minimal_profile_loads_with_conservative_defaults(tmp_path: Path) -> None:
    path = tmp_path / "generic.toml"
    path.write_text(_toml(_MINIMAL, ""), encoding="utf-8")
    profile = load_profile(path)
    assert profile.personal_name.middle_dot == "reject"
    assert profile.personal_name.scripts == ("cjk",)
    assert profile.requires == ()


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
