"""Build one release from a month's files: read, validate everything, then assemble the canonical tables.

The same pipeline serves `cardbin release load` and the bundled default data, so both are validated
alike. Nothing is stored here: a refused load raises LoadRefused with the full report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from cardbin.banks import BankDirectory, default_directory
from cardbin.errors import InvalidInput, LoadRefused, ReleaseError
from cardbin.model import CARD_TYPES, SourceFile
from cardbin.release.schema import ReleaseData, conform, empty
from cardbin.sources import Staged, read_bin_changes, read_bin_table, read_cities, read_cnaps_table, read_segments
from cardbin.validate import Options, Problem, Report, check_bins, check_branches, check_cities, check_segments
from cardbin.validate.rules import BIN_KEY, BIN_VALUES, BRANCH_VALUES

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

Step = Callable[[str], None]


@dataclass(frozen=True)
class Inputs:
    bin_table: Path | None = None
    bin_changes: Path | None = None
    cnaps_table: Path | None = None
    cities: Path | None = None
    segments: Path | None = None  # optional card-segment table (卡号段 → city code)


@dataclass(frozen=True)
class Built:
    release: ReleaseData
    report: Report


def check_month(month: str) -> str:
    if not MONTH.match(month):
        raise InvalidInput("month", month, "must be a data month written YYYY-MM, e.g. 2026-11")
    return month


def _stage(inputs: Inputs, step: Step) -> list[Staged]:
    readers = [
        (inputs.cities, read_cities),
        (inputs.bin_table, read_bin_table),
        (inputs.bin_changes, read_bin_changes),
        (inputs.cnaps_table, read_cnaps_table),
        (inputs.segments, read_segments),
    ]
    out = []
    for path, reader in readers:
        if path is not None:
            out.append(reader(path))
            step(f"read {path.name}")
    return out


def finish_bins(frame: pl.DataFrame) -> pl.DataFrame:
    """Validated staged BIN rows → canonical values (card_type in cardbin's words, `--` names null), repeats dropped."""
    values = [*BIN_VALUES, "change"] if "change" in frame.columns else list(BIN_VALUES)
    return frame.unique(subset=values, keep="first", maintain_order=True).with_columns(
        pl.col("card_type").replace_strict(CARD_TYPES, default=None),
        pl.col("pan_length").cast(pl.Int8),
        pl.when(pl.col("card_name").is_in(["--", "-", ""]))
        .then(None)
        .otherwise(pl.col("card_name"))
        .alias("card_name"),
    )


def finish_branches(frame: pl.DataFrame) -> pl.DataFrame:
    return conform("branches", frame.unique(subset=list(BRANCH_VALUES), keep="first", maintain_order=True))


def finish_cities(frame: pl.DataFrame) -> pl.DataFrame:
    """Later rows win: city tables append corrections (3310 杭州市 sits at the end of the 2017 file)."""
    return conform("cities", frame.unique(subset=["city_code"], keep="last", maintain_order=True))


def stamp_bank_codes(bins: pl.DataFrame, directory: BankDirectory, fallback: pl.DataFrame | None) -> pl.DataFrame:
    """bank_code by the issuer (institution prefix, then name); else from `fallback` (bin, pan_length, card_type)."""
    issuers = bins.select("issuer_code", "issuer_name").unique()
    codes = [
        bank.code if (bank := directory.for_issuer(code, name)) is not None else None
        for code, name in issuers.iter_rows()
    ]
    issuers = issuers.with_columns(pl.Series("bank_code", codes, dtype=pl.String))
    bins = bins.drop("bank_code", strict=False).join(
        issuers, on=["issuer_code", "issuer_name"], how="left", nulls_equal=True
    )
    if fallback is not None:
        known = fallback.filter(pl.col("bank_code").is_in([b.code for b in directory.banks]))
        known = known.unique(subset=[*BIN_KEY, "card_type"], keep="none").rename({"bank_code": "fallback_code"})
        bins = bins.join(known.select(*BIN_KEY, "card_type", "fallback_code"), on=[*BIN_KEY, "card_type"], how="left")
        bins = bins.with_columns(pl.coalesce("bank_code", "fallback_code").alias("bank_code")).drop("fallback_code")
    return bins


def apply_changes(bins: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """A and U rows replace every row of their (BIN, PAN length); D rows remove them."""
    kept = bins.join(changes.select(BIN_KEY).unique(), on=list(BIN_KEY), how="anti")
    return conform("bins", pl.concat([kept, conform("bins", changes.filter(pl.col("change") != "D"))]))


def _change_warnings(base: pl.DataFrame, changes: pl.DataFrame, name: str) -> list[Problem]:
    keys = base.select(BIN_KEY).unique().with_columns(pl.lit(True).alias("present"))
    marked = changes.join(keys, on=list(BIN_KEY), how="left").with_columns(pl.col("present").fill_null(False))
    odd = marked.filter(
        ((pl.col("change") == "A") & pl.col("present")) | (pl.col("change").is_in(["U", "D"]) & ~pl.col("present"))
    )
    return [
        Problem(
            file=name,
            row=row,
            column="change",
            value=flag,
            rule="change_mismatch",
            severity="warning",
            message=f"{flag} for BIN {bin_} / 主账号长度 {length}, which the base release "
            + ("already has" if flag == "A" else "does not have"),
        )
        for row, flag, bin_, length in odd.select("row", "change", "bin", "pan_length").iter_rows()
    ]


def _provenance(previous: tuple[SourceFile, ...], staged: dict[str, Staged]) -> tuple[SourceFile, ...]:
    """Files the release's data comes from: change lists accumulate on their base table until a new full table."""

    def replaced(source: SourceFile) -> bool:
        if source.kind == "bin_changes":
            return "bin_table" in staged
        return source.kind in staged

    return (*(s for s in previous if not replaced(s)), *(s.source for s in staged.values()))


def build_release(
    month: str,
    inputs: Inputs,
    *,
    previous: ReleaseData | None = None,
    options: Options | None = None,
    directory: BankDirectory | None = None,
    bank_code_fallback: pl.DataFrame | None = None,
    step: Step | None = None,
) -> Built:
    """Validate every input, then assemble the release; tables not given are carried over from `previous`."""
    check_month(month)
    options = options or Options()
    step = step or (lambda _: None)
    directory = directory or default_directory()
    staged = {s.kind: s for s in _stage(inputs, step)}

    def _carried(table: str) -> pl.DataFrame:
        return getattr(previous, table) if previous is not None else empty(table)

    if "bin_table" not in staged and previous is None:
        raise ReleaseError("a release needs a BIN table: give --bin-table (or load on top of an earlier release)")

    cities = finish_cities(staged["cities"].frame) if "cities" in staged else None
    problems: list[Problem] = []
    if "cities" in staged:
        problems += check_cities(staged["cities"])
    for kind in ("bin_table", "bin_changes"):
        if kind in staged:
            problems += check_bins(staged[kind])
    known = cities if cities is not None else _carried("cities")
    if "cnaps_table" in staged:
        problems += check_branches(staged["cnaps_table"], known["city_code"], options)
    if "segments" in staged:
        problems += check_segments(staged["segments"], known["city_code"])
    step("validate")
    fatal = Report(problems=problems).fatal
    if fatal:
        raise LoadRefused(f"load of {month} refused: {fatal} fatal problems", Report(problems=problems))

    if "bin_table" in staged:
        bins = conform("bins", stamp_bank_codes(finish_bins(staged["bin_table"].frame), directory, bank_code_fallback))
    else:
        bins = _carried("bins")
    if "bin_changes" in staged:
        changes = finish_bins(staged["bin_changes"].frame)
        problems += _change_warnings(bins, changes, staged["bin_changes"].path.name)
        bins = apply_changes(bins, stamp_bank_codes(changes, directory, bank_code_fallback))
    step("assemble")
    sources = _provenance(previous.sources if previous else (), staged)
    release = ReleaseData(
        month=month,
        bins=bins.sort(list(BIN_KEY), maintain_order=True),
        branches=(
            finish_branches(staged["cnaps_table"].frame) if "cnaps_table" in staged else _carried("branches")
        ).sort("cnaps_code", maintain_order=True),
        cities=(cities if cities is not None else _carried("cities")).sort("city_code", maintain_order=True),
        segments=(
            conform("segments", staged["segments"].frame.unique(subset=["prefix"], maintain_order=True))
            if "segments" in staged
            else _carried("segments")
        ).sort("prefix", maintain_order=True),
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sources=sources,
    )
    return Built(release=release, report=Report(problems=problems))
