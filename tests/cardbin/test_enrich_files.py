"""`cardbin enrich` on the files staff actually have (tests/fixtures/hostile): GBK CSV, xlsx, xls, Parquet.

Outputs follow the target's extension and are real files of that format; an unknown one is refused before any
work; a card typed into Excel as a number is never resolved (Excel kept only 15 of its digits).
"""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl
import pytest
from click.testing import CliRunner

from cardbin.cli import app
from tests.cardbin.builders import HOSTILE, PAN

runner = CliRunner()


def _enrich(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["enrich", *args])
    assert "Traceback" not in result.output and PAN not in result.output
    return result.exit_code, result.output


def _read_xlsx(path: Path) -> pl.DataFrame:
    return fastexcel.read_excel(str(path)).load_sheet(0, dtypes="string").to_polars()


@pytest.mark.parametrize("source", ["cards-gbk.csv", "cards.xlsx", "cards.xls"])
@pytest.mark.parametrize("target", ["out.csv", "out.xlsx", "out.parquet"])
def test_every_input_format_to_every_output_format(tmp_path: Path, source: str, target: str) -> None:
    out = tmp_path / target
    code, output = _enrich(str(HOSTILE / source), str(out))
    assert code == 0, output
    frame = {".csv": pl.read_csv, ".parquet": pl.read_parquet, ".xlsx": _read_xlsx}[out.suffix](out)
    frame = frame.cast(pl.String)
    assert frame["备注"].to_list()[:3] == ["工资卡", "农行卡", "错号"]  # GBK decoded, Chinese kept
    assert frame["bank_code"].to_list()[:3] == ["ICBC", "ABC", None]
    assert frame["card_number"][0] == PAN  # the input column as it was: text, not a float
    assert frame["error"][2].startswith("card_number='oops'")
    if out.suffix == ".xlsx":
        assert out.read_bytes()[:4] == b"PK\x03\x04"


def test_a_card_typed_into_excel_as_a_number_is_never_resolved(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, output = _enrich(str(HOSTILE / "cards.xlsx"), str(out))
    assert code == 0 and "4 rows: 2 resolved, 2 with an error" in output
    row = pl.read_csv(out, infer_schema=False).row(3, named=True)
    # The cell holds 6222021234567889920 (Excel's float): a lookup would answer for another card.
    assert row["bank_code"] is None and row["bin"] is None
    assert "as a number" in row["error"] and "15 significant digits" in row["error"]


def test_excel_flag_writes_a_bom_and_plain_csv_does_not(tmp_path: Path) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert _enrich(str(HOSTILE / "cards-gbk.csv"), str(plain))[0] == 0
    assert _enrich(str(HOSTILE / "cards-gbk.csv"), str(excel), "--excel")[0] == 0
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf") and not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes()[3:] == plain.read_bytes()


def test_an_unknown_output_extension_is_refused_before_any_work(tmp_path: Path) -> None:
    for target in ("out.txt", "out.xls", "out"):
        code, output = _enrich(str(HOSTILE / "cards-gbk.csv"), str(tmp_path / target))
        assert code == 2 and "must end in .csv, .xlsx, .parquet" in output
    assert list(tmp_path.iterdir()) == []


def test_an_input_with_its_own_result_column_takes_a_prefix(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    code, output = _enrich(str(HOSTILE / "cards-with-bin.csv"), str(out))
    assert code == 2 and "bin" in output and "--prefix" in output and not out.exists()
    code, output = _enrich(str(HOSTILE / "cards-with-bin.csv"), str(out), "--prefix", "cb_")
    assert code == 0, output
    frame = pl.read_parquet(out)
    assert frame["bin"].to_list() == ["mine"] and frame["cb_bin"].to_list() == ["622202"]
    assert frame["cb_bank_code"].cast(pl.String).to_list() == ["ICBC"] and "cb_error" in frame.columns


@pytest.mark.parametrize("name", ["binary.csv", "mixed-encoding.csv", "truncated.xlsx", "empty.csv"])
def test_an_unreadable_input_is_a_clear_error(tmp_path: Path, name: str) -> None:
    code, output = _enrich(str(HOSTILE / name), str(tmp_path / "out.csv"))
    assert code == 1 and name in output and "error:" in output
    assert list(tmp_path.iterdir()) == []


def test_a_target_that_cannot_be_written_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    code, output = _enrich(str(HOSTILE / "cards-gbk.csv"), str(tmp_path / "missing" / "out.csv"))
    assert code == 2 and "its folder does not exist" in output
