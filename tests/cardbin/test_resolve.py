"""Resolver on real data: the bundled release (MIT aespark BINs, no 机构代码) and a release built from the 2018
UnionPay table copy (tests/fixtures/unlicensed/cocolian-data, with 机构代码 and card names) with the real gweesin
CNAPS branch sample and city codes.

Card numbers are real BINs followed by made-up account digits; the check digit is set with cardbin.pan.luhn_valid
where a test needs a Luhn-valid card.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from cardbin import InvalidCardNumber, InvalidCnapsCode, InvalidInput, Resolver, UnknownBin, UnknownBranch, cnaps
from cardbin.banks import default_directory
from cardbin.banks.identity import derived_code
from cardbin.pan import mask
from cardbin.release.bundled import default_release
from cardbin.resolve.coverage import index_coverage
from cardbin.store import DB_ENV, ReleaseStore
from tests.cardbin.builders import card, cocolian_release, cocolian_resolver


@pytest.fixture(scope="module")
def bundled() -> Resolver:
    return Resolver.open()


@pytest.fixture(scope="module")
def unionpay() -> Resolver:
    return cocolian_resolver()


# --- real BINs of the bundled release -------------------------------------------------------------------------


def test_readme_card_resolves_on_the_bundled_release(bundled: Resolver) -> None:
    info = bundled.lookup("6222021234567890128")
    assert (info.bin, info.bank_code, info.bank_name, info.card_type) == ("622202", "ICBC", "中国工商银行", "debit")
    assert (info.pan_length, info.pan_length_valid, info.luhn_valid) == (19, True, True)
    assert info.card_number_masked == "622202*********0128"
    assert (info.cnaps_code, info.cnaps_match) == ("102100099996", "head_office")
    assert info.region_source == "none" and info.city is None and info.region_reason
    assert info.release == bundled.release


@pytest.mark.parametrize(
    ("prefix", "length", "bank_code", "card_type"),
    [("622848", 19, "ABC", "debit"), ("621700", 19, "CCB", "debit"), ("625912", 16, "CMBC", "credit")],
)
def test_real_bins_of_the_bundled_release(
    bundled: Resolver, prefix: str, length: int, bank_code: str, card_type: str
) -> None:
    info = bundled.lookup(card(prefix, length))
    assert (info.bin, info.bank_code, info.card_type, info.pan_length_valid) == (prefix, bank_code, card_type, True)
    assert info.cnaps_match == "head_office"
    bank = default_directory().by_code(bank_code)
    assert bank is not None and info.cnaps_code == bank.head_office_cnaps


def test_bundled_release_merges_hexindai_rows_with_their_source(bundled: Resolver) -> None:
    """625073 is only in hexindai's list: it answers, and says where its row comes from."""
    assert [(r.bin, r.bank_code, r.source) for r in bundled.lookup_bin("625073")] == [("625073", "GDB", "hexindai")]
    assert bundled.lookup(card("625073", 16)).bank_name == "广发银行"
    assert {r.source for r in bundled.lookup_bin("622202")} == {"aespark"}


def test_bundled_region_from_a_regional_banks_seat_never_a_national_ones(bundled: Resolver) -> None:
    info = bundled.lookup(card("628253", 16))  # 鄂尔多斯银行
    assert (info.region_level, info.city, info.region_source) == ("city", "鄂尔多斯市", "bank_seat")
    assert (info.cnaps_code, info.cnaps_match) == ("313205000001", "city_branch")
    national = bundled.lookup(card("622202", 19))
    assert (national.region_level, national.province, national.region_source) == ("unknown", None, "none")
    head = bundled.branch(national.cnaps_code or "")
    assert (head.cnaps_code, head.bank_code, head.source) == ("102100099996", "ICBC", "bank_directory")


def test_card_length_chooses_between_rows_of_one_bin(bundled: Resolver) -> None:
    """Bundled 622309 is ICBC for 18-digit cards and 浙商银行 for 19-digit ones."""
    assert bundled.lookup(card("622309", 18)).bank_code == "ICBC"
    assert bundled.lookup(card("622309", 19)).bank_code == "CZBANK"


def test_no_row_of_the_card_length_falls_back_to_the_nearest_and_says_so(bundled: Resolver) -> None:
    info = bundled.lookup(card("622309", 17))
    assert (info.bank_code, info.pan_length, info.pan_length_valid) == ("ICBC", 18, False)
    assert [(a.bin, a.pan_length, a.bank_code) for a in info.alternatives] == [("622309", 19, "CZBANK")]


def test_nested_bin_longest_prefix_wins(bundled: Resolver) -> None:
    """建行厦门分行 436742193 sits inside 建设银行 436742."""
    assert bundled.lookup(card("436742193", 19)).bin == "436742193"
    info = bundled.lookup(card("436742194", 19))
    assert (info.bin, info.bank_code) == ("436742", "CCB")


def test_luhn_invalid_real_card_is_resolved_and_flagged(bundled: Resolver) -> None:
    info = bundled.lookup(card("622202", 19, valid=False))
    assert (info.bank_code, info.luhn_valid) == ("ICBC", False)


def test_input_is_normalised(bundled: Resolver) -> None:
    plain = bundled.lookup("6222021234567890128")
    assert bundled.lookup("6222 0212-3456 7890 128") == plain
    assert bundled.lookup("６２２２０２１２３４５６７８９０１２８") == plain


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("62220212345", "has 11 digits"),
        ("62220212345678901234", "has 20 digits"),
        ("622202123456789012x", "'x'"),
        ("", "is empty"),
    ],
)
def test_wrong_input_is_a_clear_error_without_the_pan(bundled: Resolver, raw: str, rule: str) -> None:
    with pytest.raises(InvalidCardNumber) as caught:
        bundled.lookup(raw)
    assert caught.value.field == "card_number" and rule in str(caught.value)
    if len(raw) > 10:
        assert raw not in str(caught.value) and mask(raw) in str(caught.value)


def test_unknown_bin_error_masks_the_pan(bundled: Resolver) -> None:
    number = "1111111111111111"
    with pytest.raises(UnknownBin) as caught:
        bundled.lookup(number)
    assert number not in str(caught.value) and "111111******1111" in str(caught.value)


def test_results_cannot_be_changed_behind_the_index(bundled: Resolver) -> None:
    first = bundled.lookup(card("622309", 17))
    with pytest.raises(AttributeError):
        first.alternatives.clear()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        first.bank_code = "CCB"  # type: ignore[misc]
    assert bundled.lookup(card("622309", 17)).alternatives


def test_json_uses_the_contract_field_names(bundled: Resolver) -> None:
    decoded = json.loads(msgspec.json.encode(bundled.lookup("6222021234567890128")))
    assert {"card_number_masked", "bin", "bank_code", "issuer_code", "cnaps_match", "region_source", "release"} <= set(
        decoded
    )
    assert "6222021234567890128" not in json.dumps(decoded)


# --- the UnionPay table with 机构代码: ambiguity, regions, 联行号 levels --------------------------------------------


def test_ambiguous_bin_returns_the_bank_level_issuer_and_lists_the_other(unionpay: Resolver) -> None:
    """436742/19 is both 建设银行 (01050000) and 建行厦门分行 (01053930) in the 2018 table."""
    info = unionpay.lookup(card("436742", 19))
    assert (info.issuer_code, info.bank_code, info.city) == ("01050000", "CCB", None)
    assert [(a.issuer_name, a.issuer_code) for a in info.alternatives] == [("建行厦门分行", "01053930")]


def test_rows_of_one_issuer_are_not_alternatives(unionpay: Resolver) -> None:
    """451804/16 has two ICBC rows (two card names): one issuer, nothing ambiguous."""
    info = unionpay.lookup(card("451804", 16))
    assert (info.bank_code, info.alternatives) == ("ICBC", ())


def test_regional_issuer_gets_its_region_from_the_issuer_code(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("6223092900", 19))
    assert (info.bank_code, info.issuer_code, info.card_name) == ("CZBANK", "03162900", "商卡")
    assert (info.province, info.city, info.city_code, info.region_source) == ("上海市", "上海市", "2900", "issuer_code")
    assert info.region_reason is None


def test_national_issuer_gets_no_region_and_the_reason(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("622202", 19))
    assert (info.issuer_code, info.city, info.region_source) == ("01020000", None, "none")
    assert "01020000" in (info.region_reason or "") and "national" in (info.region_reason or "")


def test_issuer_code_that_is_not_a_city_gives_no_region(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("625912", 16))  # 民生银行 03050001
    assert (info.issuer_code, info.city, info.region_source) == ("03050001", None, "none")
    assert "0001" in (info.region_reason or "")


def test_cnaps_city_branch(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("628253", 16))  # 鄂尔多斯银行, 机构代码 05342050
    assert (info.city, info.cnaps_match) == ("鄂尔多斯市", "city_branch")
    assert (info.cnaps_code, info.branch_name) == ("313205000001", "鄂尔多斯银行股份有限公司营业部")


def test_a_regional_bank_at_home_answers_its_head_office_not_another_citys_branch(unionpay: Resolver) -> None:
    """内蒙古银行 in 呼和浩特: no 呼和浩特 branch in the sample, and its 乌兰察布 branch is not the card's."""
    info = unionpay.lookup(card("628252", 16))
    assert (info.bank_code, info.city, info.cnaps_match) == ("H3CB", "呼和浩特市", "head_office")
    branch = unionpay.branch(info.cnaps_code or "")
    assert (branch.cnaps_code, branch.name, branch.bank_code) == ("313191000011", "内蒙古银行", "H3CB")


def test_cnaps_province_branch_when_the_head_office_is_not_known(unionpay: Resolver) -> None:
    """A 陕西 card of 陕西省农村信用社联合社 (province-level 机构代码) gets its clearing centre in 西安."""
    info = unionpay.lookup(card("621566", 19))
    assert (info.bank_name, info.region_level, info.province) == ("陕西省农村信用社联合社", "province", "陕西省")
    assert (info.cnaps_code, info.cnaps_match) == ("402791000010", "province_branch")
    assert unionpay.branch(info.cnaps_code or "").bank_code == info.bank_code


def test_a_branch_closed_to_transfers_is_never_answered(unionpay: Resolver) -> None:
    """河南省农村信用社联合社's only branch in the release is marked (不转汇): no 联行号 rather than that one."""
    info = unionpay.lookup(card("622991", 18))
    assert (info.bank_code, info.province, info.cnaps_code, info.cnaps_match) == ("HNRCU", "河南省", None, "none")


def test_cnaps_head_office_for_a_bank_without_a_region(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("622848", 19))
    assert (info.cnaps_code, info.cnaps_match) == ("103100000026", "head_office")


@pytest.mark.parametrize(
    ("bin_", "issuer", "bank"),
    [
        ("940015/18", "天津市商业银行", ("TCCB", "天津银行")),
        ("622333/16", "东莞市商业银行", ("BOD", "东莞银行")),
        ("603367/18", "杭州商业银行", ("HZCB", "杭州银行")),
        ("622133/19", "贵阳银行股份有限公司", ("GYCB", "贵阳银行")),
        ("622394/16", "镇江市商业银行", ("JSBANK", "江苏银行")),  # merged into 江苏银行 in 2007
    ],
)
def test_every_issuer_of_the_2018_table_answers_as_its_bank_of_today(
    unionpay: Resolver, bin_: str, issuer: str, bank: tuple[str, str]
) -> None:
    prefix, length = bin_.split("/")
    info = unionpay.lookup(card(prefix, int(length)))
    assert (info.issuer_name, (info.bank_code, info.bank_name)) == (issuer, bank)
    assert info.cnaps_code is not None and unionpay.branch(info.cnaps_code).bank_code == info.bank_code


def test_a_branch_level_bin_answers_its_bank_and_a_branch_of_it(bundled: Resolver) -> None:
    info = bundled.lookup(card("436742193", 19))  # 建行厦门分行 inside CCB's 436742
    assert (info.bin, info.issuer_name, info.bank_code, info.bank_name) == (
        "436742193",
        "建行厦门分行",
        "CCB",
        "中国建设银行",
    )
    assert info.cnaps_code is not None and bundled.branch(info.cnaps_code).bank_code == "CCB"


def test_a_village_bank_is_a_bank_of_its_own_with_its_group(unionpay: Resolver) -> None:
    suining = unionpay.lookup(card("621356032", 19))  # 睢宁中银富登村镇银行, 15193034
    hongan = unionpay.lookup(card("621676009", 19))  # 湖北红安长江村镇银行股份有限公司, 15535334
    assert (suining.bank_name, suining.bank_group, suining.city) == ("睢宁中银富登村镇银行", "中银富登", "睢宁县")
    assert (hongan.bank_name, hongan.bank_group) == ("湖北红安长江村镇银行", "长江")
    assert suining.bank_code == derived_code("睢宁中银富登村镇银行") != hongan.bank_code
    assert {b.code for b in unionpay.banks()} >= {suining.bank_code, hongan.bank_code}


def test_cnaps_none_when_the_release_holds_no_branch_of_the_bank(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("621250011", 16))  # a village bank neither the directory nor CNAPS sample knows
    assert info.city == "荣成市" and info.bank_code == derived_code(info.bank_name)
    assert (info.cnaps_code, info.branch_name, info.cnaps_match) == (None, None, "none")


@pytest.mark.parametrize("release", ["bundled", "unionpay"])
def test_every_cnaps_answered_is_a_branch_of_the_release_and_of_the_cards_bank(
    release: str, request: pytest.FixtureRequest
) -> None:
    resolver: Resolver = request.getfixturevalue(release)
    coverage = index_coverage(resolver.index)
    assert (coverage.cnaps_not_in_release, coverage.cnaps_other_bank) == (0, 0)
    assert coverage.bank == coverage.bins and coverage.cnaps.get("none", 0) < coverage.bins


def test_card_segment_table_gives_a_region_to_a_national_issuer() -> None:
    resolver = Resolver.from_release(cocolian_release(segments=(("6222020200", "1000"), ("62220203", "5840"))))
    beijing = resolver.lookup(card("6222020200", 19))
    assert (beijing.city_code, beijing.region_source, beijing.region_reason) == ("1000", "card_segment", None)
    assert (beijing.cnaps_code, beijing.cnaps_match) == ("102100000030", "city_branch")  # 北京市分行营业部
    assert resolver.lookup(card("62220203", 19)).city == "深圳市"
    elsewhere = resolver.lookup(card("6222021", 19))
    assert (elsewhere.region_source, elsewhere.cnaps_match) == ("none", "head_office")
    assert resolver.lookup(card("6223092900", 19)).region_source == "issuer_code"  # the 机构代码 comes first


# --- BIN prefixes, branches, banks, cities ----------------------------------------------------------------------


def test_lookup_bin_returns_every_row_of_the_longest_bin(bundled: Resolver) -> None:
    rows = bundled.lookup_bin("62230912")
    assert sorted((r.bin, r.pan_length, r.bank_code) for r in rows) == [
        ("622309", 18, "ICBC"),
        ("622309", 19, "CZBANK"),
    ]
    assert [r.bin for r in bundled.lookup_bin("4367421930")] == ["436742193"]
    with pytest.raises(InvalidCardNumber):
        bundled.lookup_bin("62230")
    with pytest.raises(UnknownBin):
        bundled.lookup_bin("1111111")


def test_branch_by_code(unionpay: Resolver) -> None:
    branch = unionpay.branch("102100000030")
    assert (branch.name, branch.bank_code, branch.city, branch.province) == (
        "中国工商银行股份有限公司北京市分行营业部",
        "ICBC",
        "北京市",
        "北京市",
    )
    with pytest.raises(InvalidCnapsCode):
        unionpay.branch("102100000031")
    absent = "10210000999" + cnaps.check_digit("10210000999")
    with pytest.raises(UnknownBranch):
        unionpay.branch(absent)


def test_branch_search(unionpay: Resolver) -> None:
    found = unionpay.branches(q="工商 北京 清算中心")
    assert [b.cnaps_code for b in found] == ["102100009980"]
    in_city = unionpay.branches(bank="中国农业银行", city="邯郸", limit=100)
    assert in_city and all(b.bank_code == "ABC" and b.city_code == "1270" for b in in_city)
    assert unionpay.branches(bank="ABC", city="1270", limit=100) == in_city
    assert len(unionpay.branches(bank="ICBC", limit=5)) == 5
    assert {b.bank_code for b in unionpay.branches(q="鄂尔多斯银行")} == {"ORBANK"}  # a shared 行别 (313), by name
    with pytest.raises(InvalidInput):
        unionpay.branches(bank="没有这个银行")


def test_banks_and_cities(unionpay: Resolver) -> None:
    assert "ICBC" in {b.code for b in unionpay.banks()}
    cities = {c.city_code: c for c in unionpay.cities()}
    assert (cities["5840"].city, cities["5840"].province) == ("深圳市", "广东省")


# --- opening a release ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real DuckDB store holding the UnionPay-table release, active."""
    path = tmp_path_factory.mktemp("store") / "cardbin.duckdb"
    store = ReleaseStore(path)
    store.save(cocolian_release())
    store.activate("2018-06")
    return path


def test_open_serves_the_active_release_of_a_store(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    from_db = Resolver.open(store_path)
    assert from_db.release == "2018-06"
    assert from_db.lookup(card("6223092900", 19)) == cocolian_resolver().lookup(card("6223092900", 19))
    monkeypatch.setenv(DB_ENV, str(store_path))
    assert Resolver.open().release == "2018-06"
    monkeypatch.delenv(DB_ENV)
    assert Resolver.open().release == default_release().month  # no database: the bundled release


def test_module_level_lookup_uses_the_bundled_release(monkeypatch: pytest.MonkeyPatch) -> None:
    import cardbin

    monkeypatch.delenv(DB_ENV, raising=False)
    info = cardbin.lookup("6222021234567890128")
    assert (info.bank_code, info.release) == ("ICBC", default_release().month)


@pytest.mark.parametrize(
    ("bin_", "issuer_code", "region"),
    [
        ("621076/19", "05083000", ("province", "江苏省", None)),  # 3000: a province-level code
        ("62215049/19", "01004900", ("province", "河南省", None)),
        ("621033/19", "14526500", ("province", "四川省", None)),  # 65xx is 四川 and 重庆: 6510 成都 is the capital
        ("356827/16", "04012902", ("city", "上海市", "上海市")),  # 2902: a district of 2900 上海
        ("625901/16", "04615511", ("city", "湖南省", "长沙市")),  # 5511 → 5510 长沙
    ],
)
def test_region_at_the_level_the_issuer_code_gives(
    unionpay: Resolver, bin_: str, issuer_code: str, region: tuple[str, str, str | None]
) -> None:
    prefix, length = bin_.split("/")
    info = unionpay.lookup(card(prefix, int(length)))
    assert (info.issuer_code, (info.region_level, info.province, info.city)) == (issuer_code, region)
    assert (info.region_source, info.country, info.region_reason) == ("issuer_code", None, None)


def test_overseas_issuer_names_its_country_and_gets_no_domestic_region_or_cnaps(unionpay: Resolver) -> None:
    info = unionpay.lookup(card("622889", 16))  # 中国工商银行(亚洲)有限公司, 01020344
    assert (info.issuer_code, info.region_level, info.country) == ("01020344", "overseas", "HK")
    assert (info.province, info.city, info.region_source) == (None, None, "issuer_code")
    assert (info.cnaps_code, info.cnaps_match) == (None, "none")
