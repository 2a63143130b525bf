"""What changed between two releases: added / removed / changed BINs and branches, per bank.

Like razorpay/ifsc's release notes, so data staff can review a month before activating it. A BIN key is
(BIN, PAN length) and may hold several rows (one per issuer); the key counts as changed when its set of
rows differs.
"""

from __future__ import annotations

import msgspec
import polars as pl

from cardbin.release.schema import ReleaseData


class BankChanges(msgspec.Struct, frozen=True, kw_only=True):
    bank: str
    added: int
    removed: int
    changed: int


class TableDiff(msgspec.Struct, frozen=True, kw_only=True):
    added: list[str]
    removed: list[str]
    changed: list[str]
    by_bank: list[BankChanges]


class ReleaseDiff(msgspec.Struct, frozen=True, kw_only=True):
    from_month: str | None
    to_month: str
    bins: TableDiff
    branches: TableDiff


def _signatures(frame: pl.DataFrame, key: pl.Expr, label: pl.Expr) -> pl.DataFrame:
    """One row per key: the sorted rows as one string, and the bank label of the key's first row."""
    row = pl.concat_str([pl.col(c).cast(pl.String).fill_null("\x00") for c in frame.columns], separator="\x1f")
    return (
        frame.select(key.alias("key"), row.alias("row"), label.alias("bank"))
        .group_by("key")
        .agg(pl.col("row").sort().str.join("\x1e").alias("sig"), pl.col("bank").sort().first())
    )


def _table_diff(old: pl.DataFrame, new: pl.DataFrame, key: pl.Expr, label: pl.Expr) -> TableDiff:
    joined = _signatures(old, key, label).join(
        _signatures(new, key, label), on="key", how="full", coalesce=True, suffix="_new"
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
        joined.with_columns(kind.alias("kind"), pl.coalesce("bank_new", "bank").fill_null("(unknown)").alias("label"))
        .filter(pl.col("kind").is_not_null())
        .sort("key")
    )
    keys = {k: changes.filter(pl.col("kind") == k)["key"].to_list() for k in ("added", "removed", "changed")}
    counts = changes.pivot(on="kind", index="label", values="key", aggregate_function="len").fill_null(0)
    by_bank = [
        BankChanges(
            bank=row["label"], added=row.get("added", 0), removed=row.get("removed", 0), changed=row.get("changed", 0)
        )
        for row in counts.iter_rows(named=True)
    ]
    by_bank.sort(key=lambda b: (-(b.added + b.removed + b.changed), b.bank))
    return TableDiff(added=keys["added"], removed=keys["removed"], changed=keys["changed"], by_bank=by_bank)


def diff_releases(old: ReleaseData | None, new: ReleaseData) -> ReleaseDiff:
    """Changes from `old` to `new`; with no `old` everything in `new` is added."""
    bin_key = pl.concat_str(pl.col("bin"), pl.lit("/"), pl.col("pan_length").cast(pl.String))
    bin_label = pl.coalesce("bank_code", "issuer_name")
    branch_label = pl.coalesce("bank_name", pl.concat_str(pl.lit("行别 "), pl.col("bank_category")))
    old_bins = old.bins if old else new.bins.clear()
    old_branches = old.branches if old else new.branches.clear()
    return ReleaseDiff(
        from_month=old.month if old else None,
        to_month=new.month,
        bins=_table_diff(old_bins, new.bins, bin_key, bin_label),
        branches=_table_diff(old_branches, new.branches, pl.col("cnaps_code"), branch_label),
    )
