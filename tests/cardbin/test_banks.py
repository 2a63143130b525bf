from __future__ import annotations

import csv
from pathlib import Path

from cardbin import Resolver, cnaps
from cardbin.banks import default_directory, load_directory
from cardbin.banks.identity import derived_code
from cardbin.banks.names import Places, Seat
from cardbin.paths import BANKS_DIR


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
    header = "code,name,aliases,cnaps_category,head_office_cnaps,unionpay_prefixes\n"
    gen.write_text(header + "XB,X银行,,313,,\nYB,Y银行,,,,\n", encoding="utf-8")
    cur.write_text(header + "XB,,,,,0999\nZB,Z银行,,402,,\n", encoding="utf-8")
    d = load_directory(gen, cur)
    xb = d.by_code("XB")
    assert xb is not None
    assert (xb.name, xb.cnaps_category, xb.unionpay_prefixes) == ("X银行", "313", ("0999",))
    assert d.by_code("ZB") is not None and d.by_code("YB") is not None


def test_one_canonical_code_per_bank_and_the_other_codes_in_use_map_to_it() -> None:
    d = default_directory()
    for other, canonical in [("BEAHK", "HKBEA"), ("CITICN", "CITI"), ("LSB", "LSBC"), ("ZZCCB", "ZZBANK")]:
        assert d.canonical_code(other) == canonical and d.by_code(other) is d.by_code(canonical)
    codes = {b.code for b in d.banks}
    assert not codes & {other for b in d.banks for other in b.other_codes}  # never a bank of its own
    assert d.canonical_code("NOSUCHBANK") is None


def test_lineage_answers_the_successor_with_its_year_and_source() -> None:
    d = default_directory()
    assert d.by_name("镇江市商业银行").code == "JSBANK"  # type: ignore[union-attr]
    assert d.by_name("广东发展银行").name == "广发银行"  # type: ignore[union-attr]
    assert d.by_name("深圳发展银行").code == "SPABANK"  # type: ignore[union-attr]
    assert d.canonical_code("NTCCB") == "JSBANK"  # 南通商业银行's code answers as 江苏银行 too
    step = next(s for s in d.lineage if s.predecessor == "镇江市商业银行")
    assert (step.successor, step.year, step.event) == ("JSBANK", 2007, "merged")
    for step in d.lineage:
        assert d.by_code(step.successor) is not None and step.source and 1990 < step.year < 2030, step


def test_every_hand_fact_has_a_source() -> None:
    with (BANKS_DIR / "curated.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            assert row["source"].strip(), row["code"]


def test_derived_codes_are_stable_and_never_a_directory_code() -> None:
    assert derived_code("湖北红安长江村镇银行股份有限公司") == derived_code("湖北红安长江村镇银行") == "XLP7TUGPG"
    assert not any(len(b.code) == 9 and b.code.startswith("X") for b in default_directory().banks)


def test_seat_from_the_name_of_a_regional_bank_only() -> None:
    places = Places(Resolver.open().index.cities.values())
    assert places.seat("鞍山银行") == Seat("2230", "辽宁省")
    assert places.seat("浙江长兴联合村镇银行") == Seat("3362", "浙江省")
    assert places.seat("山东省农村信用社联合社") == Seat(None, "山东省")
    assert places.seat("北京大兴九银村镇银行") == Seat("1000", "北京市")
    for national in ("上海浦东发展银行", "中国工商银行", "北京中关村银行", "龙江银行", "花旗银行（中国）"):
        assert places.seat(national) is None, national
    assert places.seat("北京银行", category="102") is None  # a national 行别 never has a seat
    d = default_directory()
    assert d.by_code("ICBC").seat_city_code is None and d.by_code("H3CB").seat_city_code == "1910"  # type: ignore[union-attr]
