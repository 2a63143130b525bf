"""Bank names as tables print them → the canonical form the directory matches, a bank's CNAPS 行别 and its seat.

Shared by scripts/build_bank_directory.py (which writes categories and seats into generated.csv) and by the
index (which derives them for banks a release names but the directory does not know), so both read names alike.

A seat is read from the name only, never guessed: a regional bank (城商行, 农商行, 村镇银行, 农信社 …) whose
name starts with a place of the city table, optionally after its province (浙江长兴联合村镇银行 → 长兴县,
鞍山银行 → 鞍山市), or a province alone for a province-wide one (江苏省农村信用社联合社 → 江苏省). A place name
shared by two cities of the table gives no seat; a county needs the name of a village or rural bank (龙江银行 is
not in 龙江县); a name with no regional marker (national and foreign banks) gives none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from cardbin.model import City

_LEGAL = ("股份有限公司", "有限责任公司", "有限公司")
# Notes some tables append to an issuer name: 平安银行（借记卡）, 上海农商银行贷记卡.
_CARD_NOTE = re.compile(r"[（(](借记卡|贷记卡|信用卡|银联卡)[）)]$|(借记卡|贷记卡)$")
_WIDTHS = str.maketrans("()", "（）")

# Words that make a bank regional (a seat is meaningful), with the CNAPS 行别 they imply where one does.
_CATEGORIES = (
    ("村镇银行", "320"),
    ("农村商业银行", "314"),
    ("农商银行", "314"),
    ("农商行", "314"),
    ("农村合作银行", "314"),
    ("信用社", "402"),
    ("信用联社", "402"),
    ("农联社", "402"),
    ("信用合作", "402"),
    ("信用联合社", "402"),
    ("农信", "402"),
    ("商业银行", "313"),
    ("商行", "313"),
)
REGIONAL_CATEGORIES = frozenset({"313", "314", "320", "402"})  # city and rural commercial, village, rural credit
_LOCAL = ("村镇银行", "农村", "农商", "农信", "信用社", "联社", "信用合作")
_PLACE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "地区",
    "市",
    "省",
    "盟",
    "县",
    "区",
    "旗",
)


def canonical_name(name: str) -> str:
    """One spelling per name: trimmed, brackets full-width, card notes and the legal form (股份有限公司 …) dropped."""
    text = "".join(name.split()).translate(_WIDTHS)
    text = _CARD_NOTE.sub("", text)
    for suffix in _LEGAL:
        if text.endswith(suffix) and len(text) > len(suffix) + 2:
            return text[: -len(suffix)]
    return text


def category_from_name(name: str) -> str | None:
    """The CNAPS 行别 a name implies (村镇银行 → 320 …); None when it implies none."""
    return next((category for word, category in _CATEGORIES if word in name), None)


def place_variants(name: str) -> tuple[str, ...]:
    """深圳市 → (深圳市, 深圳), 内蒙古自治区 → (内蒙古自治区, 内蒙古): names use either form."""
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return (name, name[: -len(suffix)])
    return (name,)


@dataclass(frozen=True, slots=True)
class Seat:
    city_code: str | None
    province: str


class Places:
    """The places of a city table by every spelling, to read a bank's seat from its name (see module doc)."""

    def __init__(self, cities: Iterable[City]) -> None:
        self._cities: dict[str, list[City]] = defaultdict(list)
        self._provinces: dict[str, str] = {}
        for city in cities:
            for variant in place_variants(city.city):
                self._cities[variant].append(city)
            for variant in place_variants(city.province):
                self._provinces[variant] = city.province
        self._longest = max((len(v) for v in (*self._cities, *self._provinces)), default=0)

    def _starts(self, text: str, table: dict[str, str] | dict[str, list[City]]) -> str | None:
        for length in range(min(self._longest, len(text)), 1, -1):
            if text[:length] in table:
                return text[:length]
        return None

    def seat(self, name: str, category: str | None = None) -> Seat | None:
        """The seat a regional bank's name gives (see module doc); None for other banks and unreadable names."""
        text = canonical_name(name)
        category = category or category_from_name(text)
        if category is not None and category not in REGIONAL_CATEGORIES:
            return None
        if "（" in text:  # a bracketed place or note: a foreign bank's subsidiary (花旗银行（中国）) or a branch
            return None
        local = any(word in text for word in _LOCAL)
        province = None
        prefix, place = self._starts(text, self._provinces), self._starts(text, self._cities)
        if prefix is not None and (place is None or len(place) <= len(prefix)):
            province = self._provinces[prefix]
            text = text[len(prefix) :]
            place = self._starts(text, self._cities)
            if place is None and prefix in self._cities:  # a municipality: 北京大兴九银村镇银行 → 北京市
                text, place = prefix + text, prefix
        if place is not None:
            rest = text[len(place) :]
            city_bank = category == "313" or rest == "银行" or category_from_name(rest) == "313"
            found = [
                c
                for c in self._cities[place]
                if (province is None or c.province == province) and (local or (city_bank and c.city_code.endswith("0")))
            ]
            # 遵义 is 遵义市 and its county 遵义县: the prefecture holds both, so it is the seat at city level.
            prefectures = {c.city_code[:3] for c in found}
            if len(found) > 1 and len(prefectures) == 1:
                found = [c for c in found if c.city_code.endswith("0")]
            if len(found) == 1:
                return Seat(found[0].city_code, found[0].province)
        if province is not None and (local or text == "银行" or category_from_name(text) is not None):
            return Seat(None, province)
        return None
