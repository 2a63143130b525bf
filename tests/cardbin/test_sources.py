"""Readers on real files of every accepted layout (the files and the writers of other layouts: builders.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from cardbin.errors import UnreadableSource
from cardbin.sources import (
    ROW,
    read_alipay_codes,
    read_bin_changes,
    read_bin_table,
    read_cities,
    read_cnaps_table,
)
from tests.cardbin.builders import (
    AESPARK,
    BOC_SAMPLE,
    CITIES_JSON,
    CITY_TSV,
    DELTA_A,
    DELTA_B,
    GWEESIN,
    UNIONPAY_HEADER,
    cocolian_rows,
    write_csv,
    write_xls,
    write_xlsx,
)
from tests.conftest import RAW


def _values(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop(ROW)


def test_gbk_crlf_csv_with_title_row_reads_every_row_with_bin_from_the_pattern(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "卡表.csv", cocolian_rows(), encoding="gbk", newline="\r\n")
    staged = read_bin_table(path)
    frame = staged.frame
    assert staged.layout == "unionpay" and frame.height == 4856 == staged.source.rows
    assert frame[ROW].to_list()[:2] == [3, 4]  # title row 1, header row 2
    icbc = frame.filter(pl.col("pan_pattern") == "622202xxxxxxxxxxxxx").row(0, named=True)
    assert (icbc["bin"], icbc["issuer_code"], icbc["pan_length"], icbc["card_type"]) == (
        "622202",
        "01020000",
        "19",
        "借记卡",
    )
    # The declared BIN lost its leading zero (bigint in the dump); the pattern keeps it.
    kunming = frame.filter(pl.col("pan_pattern") == "018572xxxxxxxxxxxx").row(0, named=True)
    assert (kunming["bin"], kunming["declared_bin"]) == ("018572", "18572")
    # 发卡行标识取值 read at another track offset: the BIN still comes from 主账号.
    assert frame.filter(pl.col("declared_bin") == "62451804")["bin"].to_list() == ["451804"]


@pytest.mark.parametrize("suffix", [".xls", ".xlsx", ".utf8-bom.csv", ".tsv"])
def test_other_encodings_and_formats_read_to_the_same_rows(tmp_path: Path, suffix: str) -> None:
    rows = cocolian_rows()
    reference = read_bin_table(write_csv(tmp_path / "ref.csv", rows)).frame
    if suffix == ".xls":
        path = write_xls(tmp_path / "t.xls", rows)
    elif suffix == ".xlsx":
        path = write_xlsx(tmp_path / "t.xlsx", rows)
    elif suffix == ".tsv":
        path = write_csv(tmp_path / "t.tsv", rows, delimiter="\t", encoding="gb18030", title=None)
    else:
        path = write_csv(tmp_path / "t.csv", rows, encoding="utf-8-sig", newline="\r\n")
    assert _values(read_bin_table(path).frame).equals(_values(reference))


def test_aespark_layout_takes_the_bin_from_its_card_head_column() -> None:
    staged = read_bin_table(AESPARK)
    assert staged.layout == "aespark" and staged.frame.height == 4292
    first = staged.frame.row(0, named=True)
    assert (first["bin"], first["pan_length"], first["issuer_name"], first["row"]) == (
        "62346000",
        "16",
        "ABC BANKING CORPORATION LTD",
        2,
    )
    assert staged.frame["issuer_code"].null_count() == 4292


def test_change_lists_read_19_fields_with_their_flags() -> None:
    added = read_bin_changes(DELTA_A).frame
    changed = read_bin_changes(DELTA_B).frame
    assert (added.height, changed.height) == (8, 17)
    row = added.row(0, named=True)
    assert (row["issuer_name"], row["issuer_code"], row["bin"], row["pan_length"], row["card_type"], row["change"]) == (
        "龙口中银富登南山村镇银行",
        "15194567",
        "621356084",
        "19",
        "借记卡",
        "A",
    )
    assert row["card_name"] == "--" and row["bin_offset"] == row["pan_offset"] == "2"
    assert set(changed["change"]) == {"A", "U"}


def test_gweesin_cnaps_nulls_placeholder_clearing_codes_and_group_labels() -> None:
    frame = read_cnaps_table(GWEESIN).frame
    assert frame.height == 2968
    assert not frame["clearing_code"].str.starts_with("9999999999").any()
    assert not frame["bank_name"].str.contains(r"^[A-Z]\s").any()
    city_bank = frame.filter(pl.col("cnaps_code") == "313203000090").row(0, named=True)
    assert (city_bank["bank_name"], city_bank["clearing_code"], city_bank["bank_category"], city_bank["city_code"]) == (
        None,
        None,
        "313",
        "2030",
    )
    icbc = frame.filter(pl.col("cnaps_code") == "102100000021").row(0, named=True)
    assert (icbc["bank_name"], icbc["clearing_code"]) == ("中国工商银行", "102100099996")


def test_chinese_header_cnaps_in_xlsx_and_headerless_boc_sample(tmp_path: Path) -> None:
    boc = read_cnaps_table(BOC_SAMPLE)
    assert boc.layout == "headerless" and boc.frame.height == 1000
    taigu = boc.frame.filter(pl.col("cnaps_code") == "104175707030").row(0, named=True)
    assert (taigu["name"], taigu["city_code"], taigu["clearing_code"], taigu["bank_category"]) == (
        "中国银行太谷支行",
        "1750",
        "104100000004",
        "104",
    )
    header = ["行号", "行名", "行别", "清算行号", "城市代码"]
    rows = [
        [c, n, "104", k, city]
        for c, n, k, city in boc.frame.select("cnaps_code", "name", "clearing_code", "city_code").iter_rows()
    ]
    chinese = read_cnaps_table(write_xlsx(tmp_path / "联行号.xlsx", rows, header=header))
    assert chinese.layout == "cnaps"
    keep = ["cnaps_code", "name", "bank_category", "clearing_code", "city_code"]
    assert chinese.frame.select(keep).equals(boc.frame.select(keep))
    assert chinese.frame["row"][0] == 3


def test_city_tables_json_and_tsv_with_space_separated_header() -> None:
    json_cities = read_cities(CITIES_JSON).frame
    tsv = read_cities(CITY_TSV)
    assert json_cities.height == 2170 and tsv.frame.height == 2051 and tsv.layout == "city_codes"
    shenzhen = tsv.frame.filter(pl.col("city_code") == "5840").row(0, named=True)
    assert (shenzhen["city"], shenzhen["province"], shenzhen["province_code"]) == ("深圳市", "广东省", "44")
    beijing = json_cities.filter(pl.col("city_code") == "1000").row(0, named=True)
    assert (beijing["city"], beijing["province"], beijing["province_code"]) == ("北京市", "北京市", "11")


def test_alipay_codes_map_card_types_to_cardbin_words() -> None:
    frame = read_alipay_codes(RAW / "hexindai-bcbc" / "bin.csv").frame
    row = frame.filter(pl.col("bin") == "622202").row(0, named=True)
    assert (row["bank_code"], row["card_type"], row["pan_length"]) == ("ICBC", "debit", 19)
    assert frame.height == 1709


def test_a_file_without_a_known_header_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wrong.csv", [["1", "2"]], header=["a", "b"])
    with pytest.raises(UnreadableSource, match=r"wrong\.csv: no BIN table header found"):
        read_bin_table(path)
    with pytest.raises(UnreadableSource, match="no such file"):
        read_cnaps_table(tmp_path / "missing.csv")


def test_workbook_header_is_found_on_a_later_sheet(tmp_path: Path) -> None:
    path = tmp_path / "卡表.xlsx"
    rows = cocolian_rows()[:20]
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("说明").write_string(0, 0, "本表由中国银联发布")
        sheet = book.add_worksheet("卡表")
        for r, values in enumerate([UNIONPAY_HEADER, *rows]):
            for c, value in enumerate(values):
                sheet.write_string(r, c, value)
    frame = read_bin_table(path).frame
    assert frame.height == 20 and frame[ROW].to_list()[0] == 2
    assert frame["issuer_code"].to_list() == [r[1] for r in rows]
