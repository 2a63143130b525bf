"""What changed between two releases: added / removed / changed BINs and branches, per bank, per field.

Like razorpay/ifsc's release notes, so data staff can review a month before activating it. A BIN key is
(BIN, PAN length) and may hold several rows (one per issuer); the key counts as changed when its set of
rows differs, and each field whose values differ is listed with its values before and after (several rows'
values joined with " | ", sorted).
"""

from __future__ import annotations

import msgspec
import polars as pl

from cardbin.release.schema import ReleaseData

MULTI = " | "  # joins the values of a key with several rows
NULL = "—"  # a null among several rows' values


class BankChanges(msgspec.Struct, frozen=True, kw_only=True):
    bank: str
    added: int
    removed: int
    changed: int


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    added: int
    removed: int
    changed: int


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    before: str | None
    after: str | None


class KeyChange(msgspec.Struct, frozen=True, kw_only=True):
    """One changed key (`622859/19`, a 联行号) and each of its fields that differs."""

    key: str
    bank: str
    fields: list[FieldChange]


class TableDiff(msgspec.Struct, frozen=True, kw_only=True):
    added: list[str]
    removed: list[str]
    changed: list[str]
    by_bank: list[BankChanges]
    changes: list[KeyChange] = msgspec.field(default_factory=list)
    by_card_type: dict[str, Counts] = msgspec.field(default_factory=dict)  # BINs only


class ReleaseDiff(msgspec.Struct, frozen=True, kw_only=True):
    from_month: str | None
    to_month: str
    bins: TableDiff
    branches: TableDiff


def _signatures(frame: pl.DataFrame, key: pl.Expr, labels: dict[str, pl.Expr]) -> pl.DataFrame:
    """One row per key: the sorted rows as one string, and each label (bank, card type) of the key's first row."""
    row = pl.concat_str([pl.col(c).cast(pl.String).fill_null("\x00") for c in frame.columns], separator="\x1f")
    return (
        frame.select(key.alias("key"), row.alias("row"), *(expr.alias(name) for name, expr in labels.items()))
        .group_by("key")
        .agg(pl.col("row").sort().str.join("\x1e").alias("sig"), *(pl.col(name).sort().first() for name in labels))
    )


def _counts(changes: pl.DataFrame, label: str) -> list[tuple[str, Counts]]:
    """(label, counts of added / removed / changed keys), most changes first."""
    pivot = changes.pivot(on="kind", index=label, values="key", aggregate_function="len").fill_null(0)
    rows = [
        (
            str(row[label]),
            Counts(added=row.get("added", 0), removed=row.get("removed", 0), changed=row.get("changed", 0)),
        )
        for row in pivot.iter_rows(named=True)
    ]
    return sorted(rows, key=lambda r: (-(r[1].added + r[1].removed + r[1].changed), r[0]))


def _values(frame: pl.DataFrame, key: pl.Expr, keys: list[str], fields: list[str]) -> dict[str, dict[str, str | None]]:
    """key → field → the key's distinct values (sorted, joined), for the given keys."""
    grouped = (
        frame.with_columns(key.alias("key"))
        .filter(pl.col("key").is_in(keys))
        .group_by("key")
        .agg(pl.col(f).cast(pl.String).fill_null(NULL).unique().sort().str.join(MULTI) for f in fields)
    )
    return {
        row["key"]: {f: None if row[f] == NULL else row[f] for f in fields} for row in grouped.iter_rows(named=True)
    }


def _field_changes(
    old: pl.DataFrame, new: pl.DataFrame, key: pl.Expr, changed: pl.DataFrame, key_columns: tuple[str, ...]
) -> list[KeyChange]:
    keys = changed["key"].to_list()
    fields = [c for c in new.columns if c not in key_columns]
    before, after = _values(old, key, keys, fields), _values(new, key, keys, fields)
    return [
        KeyChange(
            key=k,
            bank=bank,
            fields=[
                FieldChange(field=f, before=before[k][f], after=after[k][f])
                for f in fields
                if before[k][f] != after[k][f]
            ],
        )
        for k, bank in changed.select("key", "bank").iter_rows()
    ]


def _table_diff(
    old: pl.DataFrame,
    new: pl.DataFrame,
    key: pl.Expr,
    key_columns: tuple[str, ...],
    labels: dict[str, pl.Expr],
) -> TableDiff:
    joined = _signatures(old, key, labels).join(
        _signatures(new, key, labels), on="key", how="full", coalesce=True, suffix="_new"
    )
    kind = (
        pl.when(pl.col("sig").is_null())
        .then(pl.lit("added"))
        .when(pl.col("sig_new").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("sig") != pl.col("sig_new"))
        .then(pl.lit("changed"))
    )
    changes = (
        joined.with_columns(
            kind.alias("kind"),
            *(pl.coalesce(f"{name}_new", name).fill_null("(unknown)").alias(name) for name in labels),
        )
        .filter(pl.col("kind").is_not_null())
        .sort("key")
    )
    keys = {k: changes.filter(pl.col("kind") == k)["key"].to_list() for k in ("added", "removed", "changed")}
    by_bank = [BankChanges(bank=name, **msgspec.structs.asdict(c)) for name, c in _counts(changes, "bank")]
    return TableDiff(
        added=keys["added"],
        removed=keys["removed"],
        changed=keys["changed"],
        by_bank=by_bank,
        changes=_field_changes(old, new, key, changes.filter(pl.col("kind") == "changed"), key_columns),
        by_card_type=dict(_counts(changes, "card_type")) if "card_type" in labels else {},
    )


def diff_releases(old: ReleaseData | None, new: ReleaseData) -> ReleaseDiff:
    """Changes from `old` to `new`; with no `old` everything in `new` is added."""
    bin_key = pl.concat_str(pl.col("bin"), pl.lit("/"), pl.col("pan_length").cast(pl.String))
    bin_labels = {"bank": pl.coalesce("bank_code", "issuer_name"), "card_type": pl.col("card_type")}
    branch_labels = {"bank": pl.coalesce("bank_name", pl.concat_str(pl.lit("行别 "), pl.col("bank_category")))}
    old_bins = old.bins if old else new.bins.clear()
    old_branches = old.branches if old else new.branches.clear()
    return ReleaseDiff(
        from_month=old.month if old else None,
        to_month=new.month,
        bins=_table_diff(old_bins, new.bins, bin_key, ("bin", "pan_length"), bin_labels),
        branches=_table_diff(old_branches, new.branches, pl.col("cnaps_code"), ("cnaps_code",), branch_labels),
    )
