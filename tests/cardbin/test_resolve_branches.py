"""The 联行号 choice rule (cardbin.resolve.branches) on the real gweesin CNAPS branch sample."""

from __future__ import annotations

import polars as pl
import pytest

from cardbin.banks import default_directory
from cardbin.model import Bank, City
from cardbin.release.schema import ReleaseData, conform, empty
from cardbin.resolve.branches import BranchTable
from tests.cardbin.builders import gweesin_tables


@pytest.fixture(scope="module")
def table() -> BranchTable:
    branches, cities = gweesin_tables()
    rows = ReleaseData(
        month="2023-08", bins=empty("bins"), branches=conform("branches", branches), cities=conform("cities", cities)
    ).rows()
    by_code: dict[str, City] = {}
    for city in rows.cities:
        by_code.setdefault(city.city_code, city)
    return BranchTable.build(rows.branches, by_code, default_directory())


def bank(code: str) -> Bank:
    found = default_directory().by_code(code)
    assert found is not None
    return found


def _chosen(table: BranchTable, bank_code: str, city_code: str) -> tuple[str | None, str | None, str]:
    """(联行号, branch name, how it was matched) that `table` chooses for this bank in this city."""
    choice = table.choose(bank(bank_code), city_code)
    return choice.cnaps_code, choice.branch_name, choice.cnaps_match


def test_city_branch_prefers_the_city_branch_proper(table: BranchTable) -> None:
    """Beijing ICBC has 北京市分行营业部, 中关村分行, 总行营业部, 清算中心 and sub-branch 营业部s: the first wins."""
    assert _chosen(table, "ICBC", "1000") == (
        "102100000030",
        "中国工商银行股份有限公司北京市分行营业部",
        "city_branch",
    )


def test_branches_closed_to_the_public_are_skipped(table: BranchTable) -> None:
    """邯郸分行（不对外办理业务） 103127010007 and 邯郸分行 103127019965 are both in 1270."""
    assert table.choose(bank("ABC"), "1270").cnaps_code == "103127019965"


def test_a_county_uses_its_prefecture_branch(table: BranchTable) -> None:
    choice = table.choose(bank("ABC"), "7342")  # 鲁甸县 → 7340 昭通市
    assert (choice.cnaps_code, choice.cnaps_match) == ("103734003991", "city_branch")


def test_province_branch_falls_back_to_the_capital(table: BranchTable) -> None:
    """楚雄 has only a 运营管理部 and 云南省分行 is closed to the public: 昆明分行 in the capital (7310)."""
    assert _chosen(table, "ABC", "7380") == (
        "103731001998",
        "中国农业银行股份有限公司昆明分行",
        "province_branch",
    )


def test_province_branch_proper_wins_over_other_cities(table: BranchTable) -> None:
    """BOC in 焦作 (5010, no BOC branch in the sample): 河南省分行 in 郑州 beats 郑州's other 分行 and 平顶山分行."""
    assert table.choose(bank("BOC"), "4950").cnaps_code == "104495063051"  # 平顶山分行, its own city
    assert _chosen(table, "BOC", "5010") == (
        "104491062434",
        "中国银行股份有限公司河南省分行",
        "province_branch",
    )


def test_head_office_is_a_branch_of_the_table_and_none_without_one(table: BranchTable) -> None:
    """The sample lacks ICBC's clearing code 102100099996: its head office is the branch 中国工商银行总行营业部."""
    assert _chosen(table, "ICBC", None) == ("102100004951", "中国工商银行总行营业部", "head_office")
    assert table.choose(bank("ICBC"), "5840").cnaps_code == "102100004951"  # no ICBC 深圳 branch in the sample
    assert table.choose(bank("ABC"), None).cnaps_match == "none"  # no head office of ABC in the sample
    assert table.choose(bank("BJBANK"), "1000").cnaps_match == "none"  # no BJBANK branch at all
    assert table.choose(None, "1000").cnaps_match == "none"


def test_a_head_office_in_the_cards_province_beats_another_citys_branch(table: BranchTable) -> None:
    """The row named 鄂尔多斯银行 itself is its head office: a 呼和浩特 card (same province) gets it, not a branch."""
    assert table.head_offices["ORBANK"].cnaps_code == "313205057830"
    assert _chosen(table, "ORBANK", "1910") == ("313205057830", "鄂尔多斯银行股份有限公司", "head_office")


def test_shared_category_branches_belong_to_the_bank_named(table: BranchTable) -> None:
    owners = {b.bank_code for b in table.by_code.values() if b.bank_category == "313"}
    assert "ORBANK" in owners and None in owners  # 313 is many banks: only named ones are attributed
    assert table.by_code["313205000001"].bank_code == "ORBANK"


def test_search_frame_has_every_branch(table: BranchTable) -> None:
    branches, _ = gweesin_tables()
    assert table.frame.height == branches.unique("cnaps_code").height
    assert table.frame.filter(pl.col("cnaps_code") == "102100000030")["bank_code"].to_list() == ["ICBC"]
