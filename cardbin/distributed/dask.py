"""Enrichment on Dask: `enrich(frame)` adds the result columns to every partition of a Dask DataFrame.

    import dask.dataframe as dd
    from cardbin.distributed.dask import enrich

    cards = dd.read_parquet("cards/")                                  # any partitioned dataset
    enrich(cards, releases="https://files.example/cardbin").to_parquet("enriched/")

Each partition goes through `cardbin.resolve.enrich.Enricher.batch` (the function `cardbin enrich` runs) as one
Arrow record batch; each worker process loads the release once (`cardbin.distributed.release_index`) and keeps it
for every partition and job naming the same release. The input columns stay as they are; the result columns are
Arrow-backed (`pd.ArrowDtype`, answers dictionary-encoded), so no value is copied on the way back and the Parquet
a job writes has the types `cardbin enrich` writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from cardbin.distributed import ReleaseRef, release_index
from cardbin.resolve.enrich import Enricher, result_schema

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd


def enrich(
    frame: dd.DataFrame,
    *,
    releases: str | None = None,
    month: str | None = None,
    column: str = "card_number",
    prefix: str = "",
) -> dd.DataFrame:
    """`frame` with the result columns (named `prefix` + name) of the release `month` published in `releases`
    (default: the month active there now; without `releases`, the bundled release)."""
    release = ReleaseRef.resolve(releases, month)
    import pandas as pd

    results = result_schema(prefix).empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    meta = pd.concat([frame._meta, results], axis=1)
    enriched: dd.DataFrame = frame.map_partitions(  # type: ignore[no-untyped-call]  # dask is not typed
        _enrich_partition, release, column, prefix, meta=meta
    )
    return enriched


def _enrich_partition(part: pd.DataFrame, release: ReleaseRef, column: str, prefix: str) -> pd.DataFrame:
    import pandas as pd

    enricher = Enricher(release_index(release), column, prefix)
    batch = enricher.batch(pa.RecordBatch.from_pandas(part[[column]], preserve_index=False))
    results = pa.Table.from_batches([batch]).drop_columns([column]).to_pandas(types_mapper=pd.ArrowDtype)
    results.index = part.index
    return pd.concat([part, results], axis=1)
