"""Build one release from a month's files: read, validate everything, then assemble the canonical tables.

The same pipeline serves `cardbin release load` and the bundled default data, so both are validated
alike. Nothing is stored here: a refused load raises LoadRefused with the full report. A file that cannot be
read at all (binary, mixed encodings, truncated, empty) is one fatal problem of that report, like a broken row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from cardbin.banks import BankDirectory, default_directory
from cardbin.banks.identity import identify
from cardbin.errors import InvalidInput, LoadRefused, ReleaseError, UnreadableSource
from cardbin.model import CARD_TYPES, SourceFile
from cardbin.release.schema import ReleaseData, conform, empty
from cardbin.sources import Staged, read_bin_changes, read_bin_table, read_cities, read_cnaps_table, read_segments
from cardbin.validate import (
    Options,
    Problem,
    Report,
    check_bins,
    check_branches,
    check_cities,
    check_segments,
    problem,
)
from cardbin.validate.rules import BIN_KEY, BIN_VALUES, BRANCH_VALUES

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_SHRINK = 0.10  # a release with 10 % fewer BIN or branch rows than its base is refused without --allow-shrink

Step = Callable[[str], None]
Reader = Callable[[Path], Staged]


@dataclass(frozen=True)
class Inputs:
    bin_table: Path | None = None
    bin_changes: tuple[Path, ...] = ()  # change lists, applied in this order
    cnaps_table: Path | None = None
    cities: Path | None = None
    segments: Path | None = None  # optional card-segment table (卡号段 → city code)

    def files(self) -> list[tuple[Path, Reader]]:
        """Every given file with its reader, cities first (the CNAPS and segment rules check against them)."""
        single = [
            (self.cities, read_cities),
            (self.bin_table, read_bin_table),
            *((path, read_bin_changes) for path in self.bin_changes),
            (self.cnaps_table, read_cnaps_table),
            (self.segments, read_segments),
        ]
        return [(path, reader) for path, reader in single if path is not None]


@dataclass(frozen=True)
class Built:
    release: ReleaseData
    report: Report
    base: str | None = None  # the month of `previous`: what the release was built on and is diffed against
    carried: dict[str, str] = field(default_factory=dict)  # table → month it was carried over from


def check_month(month: str) -> str:
    if not MONTH.match(month):
        raise InvalidInput("month", month, "must be a data month written YYYY-MM, e.g. 2026-11")
    return month


def _stage(inputs: Inputs, step: Step) -> tuple[list[Staged], list[Problem]]:
    """Every file read; one that cannot be read becomes a fatal problem, and the others are still read."""
    staged, problems = [], []
    for path, reader in inputs.files():
        try:
            staged.append(reader(path))
        except UnreadableSource as exc:
            problems.append(
                problem(
                    file=path.name,
                    row=exc.row,
                    column="",
                    value=None,
                    rule=exc.rule,
                    severity="fatal",
                    message=exc.reason,
                )
            )
        step(f"read {path.name}")
    return staged, problems


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
    """bank_code of every row's issuer (`cardbin.banks.identity`); where that is a bank the directory does not know,
    the code `fallback` (bin, pan_length, card_type → bank_code) gives for the row, if the directory knows it."""
    issuers = bins.group_by("issuer_code", "issuer_name").len()
    found = identify(directory, {(code, name): rows for code, name, rows in issuers.iter_rows()})
    banks = [found.bank(code, name) for code, name, _ in issuers.iter_rows()]
    issuers = issuers.select("issuer_code", "issuer_name").with_columns(
        pl.Series("bank_code", [b.code if b else None for b in banks], dtype=pl.String),
        pl.Series("_derived", [b is None or b.name in found.derived for b in banks], dtype=pl.Boolean),
    )
    bins = bins.drop("bank_code", strict=False).join(
        issuers, on=["issuer_code", "issuer_name"], how="left", nulls_equal=True
    )
    if fallback is not None:
        known = fallback.filter(pl.col("bank_code").is_in([b.code for b in directory.banks]))
        known = known.unique(subset=[*BIN_KEY, "card_type"], keep="none").rename({"bank_code": "fallback_code"})
        bins = bins.join(known.select(*BIN_KEY, "card_type", "fallback_code"), on=[*BIN_KEY, "card_type"], how="left")
        fallen = pl.when(pl.col("_derived")).then(pl.coalesce("fallback_code", "bank_code")).otherwise("bank_code")
        bins = bins.with_columns(fallen.alias("bank_code")).drop("fallback_code")
    return bins.drop("_derived")


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
        problem(
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


def _shrinkage(release: ReleaseData, previous: ReleaseData, files: dict[str, str], options: Options) -> list[Problem]:
    """A table much smaller than in the base release: most often a truncated or wrong file, so fatal by default."""
    found = []
    for table, what in (("bins", "BIN rows"), ("branches", "branches")):
        before, after = getattr(previous, table).height, getattr(release, table).height
        if before == 0 or (before - after) / before <= MAX_SHRINK:
            continue
        found.append(
            problem(
                file=files.get(table, f"release {release.month}"),
                row=None,
                column=table,
                value=f"{before} → {after}",
                rule="shrink",
                severity="warning" if options.allow_shrink else "fatal",
                message=f"{after} {what} against {before} in {previous.month} ({(before - after) / before:.0%} fewer, "
                f"more than the {MAX_SHRINK:.0%} allowed): a truncated or wrong file? "
                + ("loaded as --allow-shrink asks" if options.allow_shrink else "give --allow-shrink if it is right"),
            )
        )
    return found


def _empty_tables(release: ReleaseData) -> list[Problem]:
    """A release without branches or cities answers no 联行号 and no branch region: loaded, but said loudly."""
    return [
        problem(
            file=f"release {release.month}",
            row=None,
            column=table,
            value="0",
            rule=f"no_{table}",
            severity="warning",
            message=f"the release has no {table}: {consequence}; give {flag} (or load on top of a release with them)",
        )
        for table, consequence, flag in (
            ("branches", "every 联行号 and branch answer will be empty", "--cnaps-table"),
            ("cities", "branches get no city or province", "--cities"),
        )
        if getattr(release, table).height == 0
    ]


def _provenance(previous: tuple[SourceFile, ...], staged: list[Staged]) -> tuple[SourceFile, ...]:
    """Files the release's data comes from: change lists accumulate on their base table until a new full table."""
    kinds = {s.kind for s in staged}

    def replaced(source: SourceFile) -> bool:
        if source.kind == "bin_changes":
            return "bin_table" in kinds
        return source.kind in kinds

    return (*(s for s in previous if not replaced(s)), *(s.source for s in staged))


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
    if inputs.bin_table is None and previous is None:
        raise ReleaseError("a release needs a BIN table: give --bin-table (or load on top of an earlier release)")
    staged_files, problems = _stage(inputs, step)
    staged = {s.kind: s for s in staged_files if s.kind != "bin_changes"}
    change_lists = [s for s in staged_files if s.kind == "bin_changes"]
    carried: dict[str, str] = {}

    def _carried(table: str) -> pl.DataFrame:
        if previous is None:
            return empty(table)
        carried[table] = previous.month
        frame: pl.DataFrame = getattr(previous, table)
        return frame

    cities = finish_cities(staged["cities"].frame) if "cities" in staged else None
    if "cities" in staged:
        problems += check_cities(staged["cities"])
    for bin_file in [staged[k] for k in ("bin_table",) if k in staged] + change_lists:
        problems += check_bins(bin_file)
    known = cities if cities is not None else (previous.cities if previous is not None else empty("cities"))
    if "cnaps_table" in staged:
        problems += check_branches(staged["cnaps_table"], known["city_code"], options)
    if "segments" in staged:
        problems += check_segments(staged["segments"], known["city_code"])
    step("validate")
    if Report(problems=problems).fatal:
        raise _refused(month, problems)

    if "bin_table" in staged:
        bins = conform("bins", stamp_bank_codes(finish_bins(staged["bin_table"].frame), directory, bank_code_fallback))
    elif change_lists:
        bins = previous.bins if previous is not None else empty("bins")
    else:
        bins = _carried("bins")
    for changes_file in change_lists:
        changes = finish_bins(changes_file.frame)
        problems += _change_warnings(bins, changes, changes_file.path.name)
        bins = apply_changes(bins, stamp_bank_codes(changes, directory, bank_code_fallback))
    step("assemble")
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
        sources=_provenance(previous.sources if previous else (), staged_files),
    )
    if previous is not None:
        names = {"bins": ", ".join(s.path.name for s in staged_files if s.kind in ("bin_table", "bin_changes"))}
        if "cnaps_table" in staged:
            names["branches"] = staged["cnaps_table"].path.name
        problems += _shrinkage(release, previous, {k: v for k, v in names.items() if v}, options)
    problems += _empty_tables(release)
    if Report(problems=problems).fatal:
        raise _refused(month, problems)
    base = previous.month if previous is not None else None
    return Built(release=release, report=Report(problems=problems), base=base, carried=carried)


def _refused(month: str, problems: list[Problem]) -> LoadRefused:
    report = Report(problems=problems)
    return LoadRefused(f"load of {month} refused: {report.fatal} fatal problems", report)
