"""The 12-digit CNAPS participant code (联行号 / 行号).

Layout: 3-digit bank category (行别) + 4-digit city code + 4-digit sequence + check digit. The check
digit is ISO 7064 MOD 11,10 (GB/T 17710) over the first 11 digits; no published document states it, but it
holds for every real code we hold (1,276+), see ../shared/data/raw/SOURCES.md. Digits 4–7 are not always
the branch's current city: take the city from the table's own column.
"""

from __future__ import annotations

import msgspec

from cardbin.errors import InvalidCnapsCode

CNAPS_LENGTH = 12


class CnapsParts(msgspec.Struct, frozen=True):
    bank_category: str
    city_code: str
    sequence: str
    check_digit: str


def check_digit(first11: str) -> str:
    """ISO 7064 MOD 11,10 check character for 11 digits."""
    p = 10
    for ch in first11:
        s = (p + ord(ch) - 48) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


def is_valid(code: str) -> bool:
    """12 ASCII digits whose last digit is the check digit of the first 11."""
    return len(code) == CNAPS_LENGTH and code.isascii() and code.isdigit() and check_digit(code[:11]) == code[11]


def validate(code: str, field: str = "cnaps_code") -> str:
    """The code itself, or InvalidCnapsCode naming what is wrong."""
    if not (len(code) == CNAPS_LENGTH and code.isascii() and code.isdigit()):
        raise InvalidCnapsCode(field, code, f"must be {CNAPS_LENGTH} digits")
    expected = check_digit(code[:11])
    if code[11] != expected:
        raise InvalidCnapsCode(field, code, f"check digit is {code[11]}, ISO 7064 MOD 11,10 gives {expected}")
    return code


def parts(code: str) -> CnapsParts:
    """Split a valid code into its four parts."""
    validate(code)
    return CnapsParts(code[:3], code[3:7], code[7:11], code[11])
