"""The region a BIN row's data gives, at the level it gives it, never guessed.

From the 机构代码's last four digits (UnionPay numbers regional issuers by CNAPS city code):

- ``0000``: a national issuer: level ``national``, no region;
- a CNAPS city code of the release: level ``city`` (a county code is its own city, as CNAPS lists it);
- a district code whose prefecture (…0, same province) the release knows: that city (2902 → 2900 上海市,
  5511 → 5510 长沙市);
- below 1000, an ISO 3166 numeric country code other than China's: level ``overseas`` with the country's
  alpha-2 code (0344 → HK) and no domestic region;
- else a province code (…00) whose capital (…10, CNAPS numbers the capital first) the release knows, or a code
  whose first two digits belong to one province only in the release's city table: level ``province``
  (3000 → 3010 南京 → 江苏省, 6500 → 6510 成都 → 四川省);
- anything else: ``unknown``, with the reason.

Without a 机构代码 a regional bank's registered seat may give the region (``bank_seat``): its city, or its
province for a province-wide bank (省农村信用社联合社); a national bank has no seat.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec

from cardbin.model import Bank, City, RegionLevel, RegionSource

NATIONAL = "0000"
CHINA = "156"


class Region(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True):
    """A BIN row's region; a Struct, so the bundled release's index facts can carry it (`cardbin.resolve.facts`)."""

    level: RegionLevel
    city: City | None = None
    province: str | None = None
    country: str | None = None
    source: RegionSource = "none"
    reason: str | None = None


class Regions:
    """Regions of 机构代码, city codes and bank seats over one release's city table; memoised per code."""

    def __init__(self, cities: dict[str, City]) -> None:
        self.cities = cities
        by_digits: dict[str, set[str]] = defaultdict(set)
        for code, city in cities.items():
            by_digits[code[:2]].add(city.province)
        self._provinces = {digits: next(iter(names)) for digits, names in by_digits.items() if len(names) == 1}
        self._issuers: dict[str | None, Region] = {}

    def of_city(self, city_code: str, source: RegionSource) -> Region | None:
        """The city of a CNAPS city code, or of its prefecture when it is a district code; None if unknown."""
        city = self.cities.get(city_code) or self.cities.get(city_code[:3] + "0")
        return Region("city", city, city.province, source=source) if city is not None else None

    def of_issuer(self, issuer_code: str | None) -> Region:
        found = self._issuers.get(issuer_code)
        if found is None:
            found = self._issuers[issuer_code] = self._of_issuer(issuer_code)
        return found

    def _of_issuer(self, issuer_code: str | None) -> Region:
        if not issuer_code:
            return Region("unknown", reason="no 机构代码 for this BIN in the release")
        tail = issuer_code[4:]
        if tail == NATIONAL:
            return Region("national", reason=f"机构代码 {issuer_code} is a national issuer (…0000): no region")
        if tail < "1000":
            from iso3166 import countries_by_numeric  # only indexing needs it: a lookup never loads the table

            country = countries_by_numeric.get(tail[1:]) if tail[1:] != CHINA else None
            if country is not None:
                return Region("overseas", country=country.alpha2, source="issuer_code")
            return Region(
                "unknown",
                reason=f"机构代码 {issuer_code}: {tail} is neither a CNAPS city code nor an ISO 3166 country code",
            )
        city = self.of_city(tail, "issuer_code")
        if city is not None:
            return city
        capital = self.cities.get(tail[:2] + "10") if tail.endswith("00") else None  # 6500 → 6510 成都 → 四川省
        province = capital.province if capital is not None else self._provinces.get(tail[:2])
        if province is not None:
            return Region("province", province=province, source="issuer_code")
        return Region("unknown", reason=f"机构代码 {issuer_code}: {tail} is not a known CNAPS city or province code")

    def of_seat(self, bank: Bank | None) -> Region | None:
        """A regional bank's registered seat: its city, else its province; None for banks without one."""
        if bank is None:
            return None
        if bank.seat_city_code and (city := self.of_city(bank.seat_city_code, "bank_seat")) is not None:
            return city
        if bank.seat_province:
            return Region("province", province=bank.seat_province, source="bank_seat")
        return None
