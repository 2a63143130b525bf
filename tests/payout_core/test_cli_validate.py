"""`payout-core validate --channel NAME FILE.jsonl [--json] [--prepare]` on real files."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from payout_core.cli import app

CARD = "6222021234567890128"
LINES = [
    '{"name": "买买提•艾力", "account_no": "6222021234567890128", "account_type": "personal", "amount": 100}',
    '{"name": "ZHANG SAN 3", "account_no": "6222021234567890128", "account_type": "personal", "amount": 100,'
    ' "bank_code": "ICBC"}',
    "",
    '{"name": "张三", "account_no": 6222021234567890128, "account_type": "personal", "amount": 100}',
    "not json",
    '{"name": "张三", "account_no": "6222021234567890128", "account_type": "personal", "amount": 100,'
    ' "bank_code": "ICBC"}',
]
runner = CliRunner()


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "recipients.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_human_output_lists_every_violation_per_line(jsonl: Path) -> None:
    result = runner.invoke(app, ["validate", "--channel", "wechat_bank", str(jsonl)])
    assert result.exit_code == 1
    out = result.stdout
    assert "line 1: name [not_normalized]" in out
    assert "→ 买买提·艾力" in out
    assert "line 1: bank_code [required]" in out
    assert "line 2: name [character]" in out
    assert "line 4: account_no [format] Expected `str`, got `int`" in out
    assert "line 5: (line) [format] JSON is malformed" in out
    assert "line 6: ok" in out
    assert "line 3" not in out  # blank lines are skipped
    assert "5 recipient(s), 4 with violations" in result.stderr
    assert CARD not in out


def test_json_output_with_prepare(jsonl: Path) -> None:
    result = runner.invoke(app, ["validate", "--channel", "wechat_bank", "--json", "--prepare", str(jsonl)])
    assert result.exit_code == 1
    reports = [msgspec.json.decode(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in reports] == [1, 2, 4, 5, 6]
    assert [r["ok"] for r in reports] == [True, False, False, False, True]
    assert reports[0]["derived"] == ["bank_name", "bank_code", "branch_name", "cnaps_code"]
    assert {v["code"] for v in reports[1]["violations"]} == {"character"}
    assert CARD not in result.stdout


def test_clean_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(LINES[5] + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--channel", "alipay_bankcard", str(path)])
    assert result.exit_code == 1  # alipay needs bank_name
    path.write_text(LINES[5].replace('"ICBC"}', '"ICBC", "bank_name": "中国工商银行"}') + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--channel", "alipay_bankcard", str(path)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "line 1: ok\n"


def test_unknown_channel_and_missing_file(jsonl: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--channel", "nope", str(jsonl)])
    assert result.exit_code == 2
    assert "known channels: alipay_bankcard" in result.stderr
    result = runner.invoke(app, ["validate", "--channel", "generic", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2


def test_a_card_number_in_a_decode_error_is_masked(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f'{{"name": "张三", "account_no": "x", "account_type": "{CARD}", "amount": 1}}\n', encoding="utf-8")
    result = runner.invoke(app, ["validate", "--channel", "generic", str(path)])
    assert result.exit_code == 1
    assert "account_type [format]" in result.stdout
    assert CARD not in result.stdout
    assert "622202*********0128" in result.stdout


ICBC_AS_CCB = (
    '{"name": "张三", "account_no": "6222021234567890128", "account_type": "personal", "amount": 100,'
    ' "bank_name": "中国建设银行", "bank_code": "CCB"}'
)


def test_a_card_labelled_with_another_bank_fails_without_prepare(tmp_path: Path) -> None:
    """Issue 17: an ICBC card labelled 中国建设银行/CCB printed "ok" without --prepare; the file would pay astray."""
    path = tmp_path / "icbc_as_ccb.jsonl"
    path.write_text(ICBC_AS_CCB + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--channel", "alipay_bankcard", str(path)])
    assert result.exit_code == 1
    assert "line 1: bank_name [bank_mismatch]" in result.stdout
    assert "line 1: bank_code [bank_mismatch]" in result.stdout
    assert "→ ICBC" in result.stdout
    assert CARD not in result.stdout
    result = runner.invoke(app, ["validate", "--channel", "alipay_bankcard", "--no-bin-check", str(path)])
    assert (result.exit_code, result.stdout) == (0, "line 1: ok\n")  # only when explicitly switched off


@pytest.mark.parametrize(
    "spelling", ["6222 0212 3456 7890 128", "6222-0212-3456-7890-128", "６２２２０２１２３４５６７８９０１２８"]
)
def test_a_spaced_card_number_in_a_decode_error_is_masked(tmp_path: Path, spelling: str) -> None:
    """Issue 17: masking caught only unbroken runs of 12+ digits, so a decode error quoted a spaced card in full."""
    path = tmp_path / "bad.jsonl"
    path.write_text(f'{{"name": "张三", "account_no": "x", "account_type": "{spelling}", "amount": 1}}\n', "utf-8")
    result = runner.invoke(app, ["validate", "--channel", "generic", "--json", str(path)])
    assert result.exit_code == 1
    assert spelling not in result.stdout and CARD not in result.stdout
    assert "622202*********0128" in result.stdout
