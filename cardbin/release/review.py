"""The review of a release before activation: one self-contained HTML page and the same tables as xlsx.

Built from what the store holds: the new release's load report (its validation problems, values masked when they
were found), the field-level diff against the old release, the coverage stored with each release (per field and per
bank) and the rows added and removed. The page needs no network: CSS and SVG charts are inline and its Content
Security Policy forbids every fetch, so it can be mailed to whoever approves the month.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import polars as pl

from cardbin.errors import InvalidInput
from cardbin.model import Coverage, ReleaseInfo
from cardbin.release.diff import BankChanges, Counts, ReleaseDiff, TableDiff, diff_releases
from cardbin.validate.report import ReportSummary

if TYPE_CHECKING:
    from cardbin.store import ReleaseStore

PAGE_ROWS = 500  # rows of each long table on the page; the xlsx has every row
CHART_BARS = 15
BIN_KEY = pl.concat_str(pl.col("bin"), pl.lit("/"), pl.col("pan_length").cast(pl.String))
LISTED = ("bin", "pan_length", "bank_code", "issuer_name", "card_name", "card_type")


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    """One stacked bar of a chart: its label and the width of each segment (0–100 % of the widest bar)."""

    label: str
    added: int
    removed: int
    changed: int
    widths: tuple[float, float, float]


class Review(msgspec.Struct, frozen=True, kw_only=True):
    old: ReleaseInfo
    new: ReleaseInfo
    generated_at: str
    report: ReportSummary
    diff: ReleaseDiff
    added_bins: list[dict[str, object]]
    removed_bins: list[dict[str, object]]

    @property
    def summary(self) -> dict[str, object]:
        """The figures a reviewer reads first (also the JSON answer of `release report`)."""
        return {
            "old": self.old.month,
            "new": self.new.month,
            "bins": _counts(self.diff.bins),
            "branches": _counts(self.diff.branches),
            "problems": {"fatal": self.report.fatal, "warnings": self.report.warnings},
        }


def _rows(frame: pl.DataFrame, keys: list[str]) -> list[dict[str, object]]:
    picked = frame.filter(BIN_KEY.is_in(keys)).select(LISTED).sort("bin", "pan_length")
    return picked.to_dicts()


def build_review(store: ReleaseStore, old: str, new: str) -> Review:
    """Everything the page and the workbook show, read from the store."""
    old_data, new_data = store.read_release(old), store.read_release(new)
    infos = {info.month: info for info in store.list_releases()}
    diff = diff_releases(old_data, new_data)
    return Review(
        old=infos[old],
        new=infos[new],
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        report=store.load_report(new).summary(),
        diff=diff,
        added_bins=_rows(new_data.bins, diff.bins.added),
        removed_bins=_rows(old_data.bins, diff.bins.removed),
    )


def bars(counts: list[tuple[str, Counts]], limit: int = CHART_BARS) -> list[Bar]:
    """Stacked bars (added, removed, changed) scaled to the largest total, in the order given (most changes first)."""
    rows = counts[:limit]
    top = max((c.added + c.removed + c.changed for _, c in rows), default=0) or 1
    return [
        Bar(
            label=label,
            added=c.added,
            removed=c.removed,
            changed=c.changed,
            widths=(100 * c.added / top, 100 * c.removed / top, 100 * c.changed / top),
        )
        for label, c in rows
    ]


def _per_bank(banks: list[BankChanges]) -> list[tuple[str, Counts]]:
    return [(b.bank, Counts(added=b.added, removed=b.removed, changed=b.changed)) for b in banks]


def _share(coverage: Coverage | None, count: int) -> str:
    return f"{coverage.share(count):.1%}" if coverage is not None else "—"


def coverage_rows(old: Coverage | None, new: Coverage | None) -> list[tuple[str, str, str]]:
    """(field, old share, new share) for every field coverage counts."""
    rows = [("bank identity", _share(old, old.bank if old else 0), _share(new, new.bank if new else 0))]
    for group, title in (("region", "region"), ("cnaps", "联行号")):
        keys = sorted({*getattr(old, group, {}), *getattr(new, group, {})})
        for key in keys:
            rows.append(
                (
                    f"{title}: {key}",
                    _share(old, getattr(old, group, {}).get(key, 0)),
                    _share(new, getattr(new, group, {}).get(key, 0)),
                )
            )
    rows.append(("country (overseas)", _share(old, old.country if old else 0), _share(new, new.country if new else 0)))
    return rows


def bank_coverage_rows(coverage: Coverage | None, limit: int = PAGE_ROWS) -> list[dict[str, object]]:
    """Per bank: BIN rows and the share with a city, a province only, and each 联行号 match."""
    if coverage is None:
        return []
    out = []
    for bank in coverage.by_bank[:limit]:
        share = {k: f"{v / bank.bins:.0%}" for k, v in (*bank.region.items(), *bank.cnaps.items())}
        out.append(
            {
                "bank": bank.bank,
                "bins": bank.bins,
                "city": share.get("city", "0%"),
                "province": share.get("province", "0%"),
                "city_branch": share.get("city_branch", "0%"),
                "province_branch": share.get("province_branch", "0%"),
                "head_office": share.get("head_office", "0%"),
                "no 联行号": share.get("none", "0%"),
            }
        )
    return out


def write_html(review: Review, path: Path) -> None:
    """The review page; one file, no network."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("cardbin.release", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    page = environment.get_template("review.html").render(
        review=review,
        summary=review.summary,
        page_rows=PAGE_ROWS,
        bank_bars=bars(_per_bank(review.diff.bins.by_bank)),
        branch_bars=bars(_per_bank(review.diff.branches.by_bank)),
        type_bars=bars(list(review.diff.bins.by_card_type.items())),
        coverage=coverage_rows(review.old.coverage, review.new.coverage),
        bank_coverage=bank_coverage_rows(review.new.coverage),
    )
    _write(path, page.encode(), "out")


def _field_frame(diff: ReleaseDiff, table: str) -> pl.DataFrame:
    changes = getattr(diff, table).changes
    rows = [
        {"key": c.key, "bank": c.bank, "field": f.field, "before": f.before, "after": f.after}
        for c in changes
        for f in c.fields
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(("key", "bank", "field", "before", "after"), pl.String))


def write_xlsx(review: Review, path: Path) -> None:
    """The page's tables, one sheet each, every row."""
    import xlsxwriter

    counts = [{"table": t, **msgspec.structs.asdict(_counts(getattr(review.diff, t)))} for t in ("bins", "branches")]
    sheets: dict[str, pl.DataFrame] = {
        "Summary": pl.DataFrame(counts),
        "Problems": pl.DataFrame(
            [msgspec.structs.asdict(p) for p in review.report.problems],
            schema={
                "file": pl.String,
                "row": pl.Int64,
                "column": pl.String,
                "value": pl.String,
                "rule": pl.String,
                "severity": pl.String,
                "message": pl.String,
            },
        ),
        "BIN changes": _field_frame(review.diff, "bins"),
        "Branch changes": _field_frame(review.diff, "branches"),
        "Added BINs": _listed(review.added_bins),
        "Removed BINs": _listed(review.removed_bins),
        "Changes per bank": pl.DataFrame(
            [msgspec.structs.asdict(b) for b in review.diff.bins.by_bank],
            schema={"bank": pl.String, "added": pl.Int64, "removed": pl.Int64, "changed": pl.Int64},
        ),
        "Changes per card type": pl.DataFrame(
            [{"card_type": t, **msgspec.structs.asdict(c)} for t, c in review.diff.bins.by_card_type.items()],
            schema={"card_type": pl.String, "added": pl.Int64, "removed": pl.Int64, "changed": pl.Int64},
        ),
        "Coverage": pl.DataFrame(
            coverage_rows(review.old.coverage, review.new.coverage),
            schema=["field", review.old.month, review.new.month],
            orient="row",
        ),
        "Coverage per bank": pl.DataFrame(bank_coverage_rows(review.new.coverage, limit=10**9)),
    }
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        for name, frame in sheets.items():
            frame.write_excel(workbook=book, worksheet=name, autofit=frame.height <= 10_000)
    _write(path, buffer.getvalue(), "xlsx")


def _write(path: Path, data: bytes, option: str) -> None:
    """InvalidInput naming the option and path when it cannot be written (no folder, no permission, disk full)."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(option, str(path), f"cannot be written ({exc.strerror or exc})") from exc


def _listed(rows: list[dict[str, object]]) -> pl.DataFrame:
    schema = dict.fromkeys(LISTED, pl.String()) | {"pan_length": pl.Int64()}
    return pl.DataFrame(rows, schema=schema)


def _counts(table: TableDiff) -> Counts:
    return Counts(added=len(table.added), removed=len(table.removed), changed=len(table.changed))
