from __future__ import annotations

from pathlib import Path

from cardbin import cnaps
from cardbin.banks import default_directory, load_directory


def test_institution_prefix_maps_to_bank_and_category() -> None:
    d = default_directory()
    icbc = d.by_unionpay_prefix("01020000")
    assert icbc is not None and icbc.code == "ICBC" and icbc.cnaps_category == "102"
    assert icbc.head_office_cnaps == "102100099996"
    assert icbc.huifu_code == "01020000"
    assert d.by_unionpay_prefix("03162900").code == "CZBANK"  # type: ignore[union-attr]


def test_names_and_aliases() -> None:
    d = default_directory()
    assert d.by_name("工商银行").code == "ICBC"  # type: ignore[union-attr]
    assert d.by_name("浙商银行上海分行").code == "CZBANK"  # type: ignore[union-attr]
    assert d.by_name("上海浦东发展银行").code == "SPDB"  # type: ignore[union-attr]
    assert d.by_name("no such bank") is None
    assert d.for_issuer("01050000", "LLC Bank (Russia)").code == "CCB"  # type: ignore[union-attr]
    assert d.for_issuer(None, "中国建设银行").code == "CCB"  # type: ignore[union-attr]


def test_every_head_office_code_is_valid() -> None:
    for bank in default_directory().banks:
        if bank.head_office_cnaps:
            assert cnaps.is_valid(bank.head_office_cnaps), bank
            assert bank.head_office_cnaps.startswith(bank.cnaps_category or "?")


def test_curated_cells_win_over_generated(tmp_path: Path) -> None:
    gen = tmp_path / "g.csv"
    cur = tmp_path / "c.csv"
    header = "code,name,aliases,cnaps_category,head_office_cnaps,unionpay_prefixes,wechat_code\n"
    gen.write_text(header + "XB,X银行,,313,,,\nYB,Y银行,,,,,\n", encoding="utf-8")
    cur.write_text(header + "XB,,,,,0999,7777\nZB,Z银行,,402,,,\n", encoding="utf-8")
    d = load_directory(gen, cur)
    xb = d.by_code("XB")
    assert xb is not None
    assert (xb.name, xb.cnaps_category, xb.unionpay_prefixes, xb.wechat_code) == ("X银行", "313", ("0999",), "7777")
    assert d.by_code("ZB") is not None and d.by_code("YB") is not None
