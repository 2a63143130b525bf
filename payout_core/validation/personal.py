"""身份证 numbers and mainland mobile numbers, checked with python-stdnum and phonenumbers (normalize.py writes them).

Messages here name the rule broken and never the value: these fields are personal data.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import phonenumbers
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from payout_core.channels.profile import LegacyIdPolicy

LEGACY_LENGTH = 15
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


@lru_cache(maxsize=4096)
def _region_known(region: str) -> bool:
    """Whether the 6-digit region code is one of GB/T 2260, at any time (python-stdnum's cn/loc table).

    Not stdnum's get_birth_place: it wants the region to exist in the birth year, but the code is the household
    registration's when the card was issued, so it refuses valid numbers (锦江区 510104 dates from 1990, and
    people born in 1980 hold it).
    """
    return any("county" in props for _part, props in numdb.get("cn/loc").info(region))


def id_no_problem(number: str, legacy: LegacyIdPolicy) -> str | None:
    """Why a normalised number is not a valid 身份证 number, or None."""
    if not number.isascii():
        return "must be written in ASCII digits"
    if len(number) == LEGACY_LENGTH and number.isdigit():
        if legacy == "refuse":
            return "is a 15-digit legacy 身份证 number; this channel takes the 18-digit number only"
        return "is a 15-digit 身份证 number whose birth date or region is not valid"
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "must be an 18-character 身份证 number (17 digits and a check digit or X)"
    if number[17] != ric.calc_check_digit(number):
        return "has a check character that does not match (GB 11643 MOD 11-2)"
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        return "holds no valid birth date"
    if birth > datetime.date.today():
        return "holds a birth date in the future"
    if not _region_known(number[:6]):
        return "holds no known region code (GB/T 2260)"
    return None


def is_mobile(parsed: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _MOBILE_TYPES


def mobile_problem(number: str) -> str | None:
    """Why a normalised number is not a mainland mobile number, or None."""
    if not (len(number) == 11 and number.isascii() and number.isdigit()):
        return "must be an 11-digit mainland mobile number"
    if not is_mobile(phonenumbers.parse(number, "CN")):
        return "is not a valid mainland mobile number (number plan of the region CN)"
    return None
