"""Enrichment on a Dask LocalCluster (two worker processes) over a multi-file Parquet dataset: row for row what
`cardbin enrich` writes for the same cards, each worker loading the release once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import polars as pl
import pytest

from cardbin.distributed import ReleaseRef, loads
from cardbin.errors import ReleaseNotFound
from cardbin.publish import Destination
from cardbin.release.bundled import default_release
from cardbin.resolve import Resolver
from tests.cardbin.builders import BAD, sample_cards
from tests.cardbin.harness import CLI, ROOT

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

FILES = 6


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String))


def test_dask_enrichment_equals_cardbin_enrich_row_for_row(tmp_path: Path) -> None:
    resolver = Resolver.open()
    cards = [*sample_cards(resolver, 3000), *(b or "" for b in BAD)]
    frame = pl.DataFrame({"id": range(len(cards)), "card_number": cards})
    dataset = tmp_path / "cards"
    dataset.mkdir()
    size = -(-frame.height // FILES)
    for i in range(FILES):
        frame.slice(i * size, size).write_parquet(dataset / f"part-{i}.parquet")
    frame.write_parquet(tmp_path / "all.parquet")
    subprocess.run(
        [*CLI, "enrich", str(tmp_path / "all.parquet"), str(tmp_path / "single.parquet")], cwd=ROOT, check=True
    )

    dest = Destination(tmp_path / "published")
    dest.publish(default_release())
    dest.activate(default_release().month)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        from cardbin.distributed.dask import enrich

        cards_dd = dd.read_parquet(str(dataset))
        assert cards_dd.npartitions == FILES
        enrich(cards_dd, releases=str(dest.location)).to_parquet(str(tmp_path / "dask"), write_index=False)
        per_worker = client.run(loads)
    assert sorted(per_worker.values()) == [1, 1]  # each worker loaded the release once, for all its partitions

    single = _as_text(pl.read_parquet(tmp_path / "single.parquet"))
    spread = _as_text(pl.read_parquet(tmp_path / "dask" / "*.parquet")).sort("id")
    assert spread.columns == single.columns
    assert spread.cast(single.schema).equals(single)


def test_a_job_fixes_its_month_when_built(tmp_path: Path) -> None:
    dest = Destination(tmp_path / "published")
    with pytest.raises(ReleaseNotFound, match="no active release"):
        ReleaseRef.resolve(str(dest.location))
    dest.publish(default_release())
    with pytest.raises(ReleaseNotFound, match="not published"):
        ReleaseRef.resolve(str(dest.location), "2030-01")
    dest.activate(default_release().month)
    assert ReleaseRef.resolve(str(dest.location)) == ReleaseRef(str(dest.location), default_release().month)
    assert ReleaseRef.resolve() == ReleaseRef(None, default_release().month)
