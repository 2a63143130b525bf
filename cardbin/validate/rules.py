"""Row-level rules over staged frames: each rule is one vectorised polars filter, problems only for hits.

Fatal rules are those that would make cardbin answer wrongly (a BIN that is not a card prefix, a
联行号 that fails its check digit); warnings are known quirks of real tables that are handled and kept
visible (duplicate rows dropped, one BIN key with two issuers kept so the resolver lists alternatives).
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec
import polars as pl

from cardbin.model import CARD_TYPES
from cardbin.pan import PAN_MAX_LENGTH, PAN_MIN_LENGTH, PREFIX_MAX_LENGTH
from cardbin.redact import redact
from cardbin.sources.changes import CHANGE_FLAGS
from cardbin.sources.tables import ROW, Staged
from cardbin.validate.checkdigit import check_digit_expr
from cardbin.validate.report import Problem, Severity, problem

BIN_KEY = ("bin", "pan_length")
BIN_VALUES = ("bin", "pan_length", "issuer_name", "issuer_code", "card_name", "card_type")
BRANCH_VALUES = ("cnaps_code", "name", "bank_category", "bank_name", "clearing_code", "city_code")


class Rule(NamedTuple):
    """A rule's column, name, severity and message; `{value}` in the message is the offending value."""

    column: str
    name: str
    severity: Severity
    message: str


BIN_DIGITS = Rule("bin", "bin_digits", "fatal", "BIN {value!r} is not 1–19 digits (fixed prefix of 主账号 or 卡头)")
PAN_LENGTH = Rule(
    "pan_length", "pan_length", "fatal", f"主账号长度 {{value!r}} is not a number in {PAN_MIN_LENGTH}–{PAN_MAX_LENGTH}"
)
BIN_TOO_LONG = Rule(
    "bin",
    "bin_too_long",
    "fatal",
    f"BIN {{value}} is longer than {PREFIX_MAX_LENGTH} digits or not shorter than 主账号长度: a card number, not a BIN",
)
CARD_TYPE = Rule("card_type", "card_type", "fatal", f"卡种 {{value!r}} is not one of {'/'.join(CARD_TYPES)}")
ISSUER_EMPTY = Rule("issuer_name", "empty_name", "fatal", "发卡行名称 is empty")
BIN_OFFSET = Rule(
    "bin_offset",
    "bin_not_pan_prefix",
    "fatal",
    "the BIN starts at track offset {value}, not where the card number starts: it is not a card prefix",
)
DECLARED_NOT_PREFIX = Rule(
    "declared_bin",
    "declared_bin_not_prefix",
    "warning",
    "发卡行标识取值 {value} is not a prefix of 主账号 (other track offset or lost zeros); the BIN is taken from 主账号",
)
DECLARED_LENGTH = Rule(
    "declared_bin_length", "declared_bin_length", "warning", "发卡行标识长度 {value} differs from the BIN's length"
)
DECLARED_LENGTH_RANGE = Rule(
    "declared_bin_length",
    "declared_bin_length_range",
    "fatal",
    f"发卡行标识长度 {{value!r}} is not a number in 1–{PAN_MAX_LENGTH}",
)
DECLARED_DIGITS = Rule(
    "declared_bin", "declared_bin_digits", "fatal", f"发卡行标识取值 {{value!r}} is not 1–{PAN_MAX_LENGTH} digits"
)
PERSONAL_NUMBER = Rule(
    "name",
    "personal_number",
    "fatal",
    "{value!r} holds a card, ID or mobile number, which cardbin would serve to every caller",
)
# Text columns cardbin serves that no format rule pins down, per table: a personal number there is fatal.
BIN_SERVED_TEXT = ("issuer_name", "issuer_code", "card_name")
BRANCH_SERVED_TEXT = ("name", "bank_name")
CITY_SERVED_TEXT = ("city", "province")
PATTERN_LENGTH = Rule("pan_pattern", "pattern_length", "warning", "主账号 pattern {value!r} is not 主账号长度 long")
ISSUER_CODE = Rule("issuer_code", "issuer_code", "warning", "机构代码 {value!r} is not 8 digits; not used for the bank")
DUPLICATE_BIN = Rule("bin", "duplicate_row", "warning", "exact repeat of an earlier row; dropped")
AMBIGUOUS = Rule(
    "bin",
    "ambiguous_issuer",
    "warning",
    "BIN {value} with this 主账号长度 has several issuers; all kept as alternatives",
)
CHANGE_FLAG = Rule("change", "change_flag", "fatal", f"change flag {{value!r}} is not one of {'/'.join(CHANGE_FLAGS)}")

CNAPS_FORMAT = Rule("cnaps_code", "cnaps_format", "fatal", "行号 {value!r} is not 12 digits")
CNAPS_CHECK = Rule(
    "cnaps_code",
    "cnaps_check_digit",
    "fatal",
    "行号 {value} fails its check digit (ISO 7064 MOD 11,10 over the first 11 digits)",
)
BRANCH_NAME = Rule("name", "empty_name", "fatal", "行名 is empty")
BANK_CATEGORY = Rule("bank_category", "bank_category", "fatal", "行别 {value!r} is not 3 digits")
CITY_CODE = Rule("city_code", "city_code", "fatal", "城市代码 {value!r} is not 4 digits")
CLEARING_CODE = Rule("clearing_code", "clearing_code", "fatal", "清算行号 {value!r} is not 12 digits")
DUPLICATE_BRANCH = Rule("cnaps_code", "duplicate_row", "warning", "exact repeat of an earlier row; dropped")
CONFLICTING_CNAPS = Rule("cnaps_code", "conflicting_cnaps", "fatal", "行号 {value} appears with different data")
UNKNOWN_CITY = Rule(
    "city_code", "unknown_city", "warning", "城市代码 {value} is not in the city table; the branch has no city name"
)

SEGMENT_PREFIX = Rule("prefix", "segment_prefix", "fatal", "卡号段 {value!r} is not 6–12 digits")
CONFLICTING_SEGMENT = Rule("prefix", "conflicting_segment", "fatal", "卡号段 {value} appears with different cities")

CITY_NAME = Rule("city", "empty_name", "fatal", "城市名称 is empty")
PROVINCE_NAME = Rule("province", "empty_name", "fatal", "省名称 is empty")
DUPLICATE_CITY = Rule(
    "city_code", "duplicate_city", "warning", "城市代码 {value} appears again later; the later row wins"
)


class Options(msgspec.Struct, frozen=True, kw_only=True):
    """Per-load choices of rule severity (the check-digit rule holds on all real codes we hold, hence fatal)."""

    check_digit: Severity = "fatal"
    allow_shrink: bool = False  # a release much smaller than its base is a warning instead of fatal


def _digits(expr: pl.Expr, lo: int, hi: int) -> pl.Expr:
    """ASCII digits only: `\\d` would let full-width and other scripts' digits into keys that are compared as text."""
    return expr.fill_null("").str.contains(rf"^[0-9]{{{lo},{hi}}}$")


def _find(staged: Staged, hit: pl.Expr, rule: Rule) -> list[Problem]:
    """Problems for the rows where `hit` is true."""
    rows = staged.frame.filter(hit.fill_null(False)).select(pl.col(ROW), pl.col(rule.column).cast(pl.String))
    return [_at(staged, rule, row, value) for row, value in rows.iter_rows()]


def _at(staged: Staged, rule: Rule, row: int, value: str | None) -> Problem:
    return problem(
        file=staged.path.name,
        row=row,
        column=rule.column,
        value=value,
        rule=rule.name,
        severity=rule.severity,
        message=rule.message,
    )


def _personal_numbers(staged: Staged, columns: tuple[str, ...]) -> list[Problem]:
    """Served text holding what `redact` masks (a 12–19 digit run in any spelling, an ID or mobile number)."""
    found = []
    for column in columns:
        # Cheap vectorised pre-filter: only names with at least 11 digits (of any script) can hold such a number.
        rows = staged.frame.filter(pl.col(column).str.count_matches(r"\d").fill_null(0) >= 11)
        for row, value in rows.select(ROW, column).iter_rows():
            if redact(value, keep_cnaps=False) != value:
                found.append(_at(staged, PERSONAL_NUMBER._replace(column=column), row, value))
    return found


def _check(staged: Staged, checks: list[tuple[pl.Expr, Rule]], served: tuple[str, ...] = ()) -> list[Problem]:
    """Every rule's problems, in the order the rules are listed, then personal numbers in the `served` columns."""
    return [p for hit, rule in checks for p in _find(staged, hit, rule)] + _personal_numbers(staged, served)


def _repeat(columns: tuple[str, ...]) -> pl.Expr:
    """True on every exact repeat of an earlier row (over `columns`)."""
    return pl.struct(list(columns)).is_first_distinct().not_()


def check_bins(staged: Staged) -> list[Problem]:
    """Rules of a full BIN table or a change list (staged by `cardbin.sources.unionpay.stage_bins`)."""
    frame = staged.frame
    bin_, pattern, declared = pl.col("bin"), pl.col("pan_pattern"), pl.col("declared_bin")
    # Numbers are range-checked as text first; a cast is only ever applied to 1–2 ASCII digits, so none overflows.
    length = pl.when(_digits(pl.col("pan_length"), 1, 2)).then(pl.col("pan_length").cast(pl.Int32))
    declared_length = pl.col("declared_bin_length")
    declared_length_n = pl.when(_digits(declared_length, 1, 2)).then(declared_length.cast(pl.Int32))
    values = (*BIN_VALUES, "change") if "change" in frame.columns else BIN_VALUES
    issuers = pl.struct("issuer_name", "issuer_code").n_unique().over(BIN_KEY)
    checks = [
        (~_digits(bin_, 1, PAN_MAX_LENGTH), BIN_DIGITS),
        (~_digits(pl.col("pan_length"), 2, 2) | ~length.is_between(PAN_MIN_LENGTH, PAN_MAX_LENGTH), PAN_LENGTH),
        ((bin_.str.len_chars() > PREFIX_MAX_LENGTH) | (bin_.str.len_chars() >= length), BIN_TOO_LONG),
        (~pl.col("card_type").is_in(list(CARD_TYPES)), CARD_TYPE),
        (pl.col("issuer_name").is_null(), ISSUER_EMPTY),
        (pl.col("bin_offset").is_not_null() & (pl.col("bin_offset") != pl.col("pan_offset")), BIN_OFFSET),
        (
            pattern.is_not_null() & declared.is_not_null() & ~pattern.str.starts_with(declared.fill_null("")),
            DECLARED_NOT_PREFIX,
        ),
        (declared.is_not_null() & ~_digits(declared, 1, PAN_MAX_LENGTH), DECLARED_DIGITS),
        (
            declared_length.is_not_null() & ~declared_length_n.is_between(1, PAN_MAX_LENGTH).fill_null(False),
            DECLARED_LENGTH_RANGE,
        ),
        (declared_length_n != declared.str.len_chars(), DECLARED_LENGTH),
        (pattern.is_not_null() & (pattern.str.len_chars() != length), PATTERN_LENGTH),
        (pl.col("issuer_code").is_not_null() & ~_digits(pl.col("issuer_code"), 8, 8), ISSUER_CODE),
        (_repeat(values), DUPLICATE_BIN),
        ((issuers > 1) & _repeat(BIN_KEY), AMBIGUOUS),
    ]
    if "change" in frame.columns:
        checks.append((~pl.col("change").is_in(list(CHANGE_FLAGS)), CHANGE_FLAG))
    return _check(staged, checks, BIN_SERVED_TEXT)


def check_branches(staged: Staged, city_codes: pl.Series, options: Options) -> list[Problem]:
    """Rules of a CNAPS table; `city_codes` are the known 4-digit codes (empty: nothing to check against)."""
    code, city = pl.col("cnaps_code"), pl.col("city_code")
    well_formed = _digits(code, 12, 12)
    checks = [
        (~well_formed, CNAPS_FORMAT),
        (
            well_formed & (code.str.slice(11, 1) != check_digit_expr(code)),
            CNAPS_CHECK._replace(severity=options.check_digit),
        ),
        (pl.col("name").is_null(), BRANCH_NAME),
        (~_digits(pl.col("bank_category"), 3, 3), BANK_CATEGORY),
        (~_digits(city, 4, 4), CITY_CODE),
        (pl.col("clearing_code").is_not_null() & ~_digits(pl.col("clearing_code"), 12, 12), CLEARING_CODE),
        (_repeat(BRANCH_VALUES), DUPLICATE_BRANCH),
        (pl.struct(list(BRANCH_VALUES)).n_unique().over("cnaps_code") > 1, CONFLICTING_CNAPS),
    ]
    if city_codes.len() > 0:
        checks.append((_digits(city, 4, 4) & ~city.is_in(city_codes.implode()), UNKNOWN_CITY))
    return _check(staged, checks, BRANCH_SERVED_TEXT)


def check_cities(staged: Staged) -> list[Problem]:
    checks = [
        (~_digits(pl.col("city_code"), 4, 4), CITY_CODE),
        (pl.col("city").is_null(), CITY_NAME),
        (pl.col("province").is_null(), PROVINCE_NAME),
        (pl.col("city_code").is_last_distinct().not_(), DUPLICATE_CITY),
    ]
    return _check(staged, checks, CITY_SERVED_TEXT)


def check_segments(staged: Staged, city_codes: pl.Series) -> list[Problem]:
    """Rules of a card-segment table; a segment naming a city the release does not know gives no region."""
    city = pl.col("city_code")
    checks = [
        (~_digits(pl.col("prefix"), 6, 12), SEGMENT_PREFIX),
        (~_digits(city, 4, 4), CITY_CODE),
        (pl.col("city_code").n_unique().over("prefix") > 1, CONFLICTING_SEGMENT),
    ]
    if city_codes.len() > 0:
        checks.append((_digits(city, 4, 4) & ~city.is_in(city_codes.implode()), UNKNOWN_CITY))
    return _check(staged, checks)
