"""Benchmark: enrichment on a Dask LocalCluster beside single-process `cardbin enrich`, on the same cards, same run.

    .venv/bin/python scripts/bench_dask.py [--rows 2000000] [--files 8] [--workers 2] [--repeats 3]

The cards (drawn from the bundled release's BINs, 1 % malformed, as bench_enrich.py draws them) are written as one
Parquet file and as a dataset of `--files` files. Timed, median of `--repeats`, wall and CPU of this process:
- `enrich_file`: what `cardbin enrich all.parquet out.parquet` runs, in this process;
- `dask`: `dd.read_parquet(dataset)` → `cardbin.distributed.dask.enrich` → `to_parquet`, on a LocalCluster of
  `--workers` processes (one thread each), the release published into a directory the workers read (each loads
  it once: the first repeat includes that load, later ones reuse it, as a long-lived cluster would).
On one 2-core machine Dask cannot be faster than one process that already uses both cores; the figure shows the
cost of running the same function distributed, which scales out by adding machines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import median_times
from bench_enrich import make_cards

from cardbin import Resolver
from cardbin.publish import Destination
from cardbin.release.bundled import default_release
from cardbin.resolve.enrich import enrich_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    from cardbin.distributed.dask import enrich

    resolver = Resolver.open()
    frame = make_cards(resolver, args.rows, 0.01)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frame.write_parquet(root / "all.parquet")
        dataset = root / "cards"
        dataset.mkdir()
        size = -(-frame.height // args.files)
        for i in range(args.files):
            frame.slice(i * size, size).write_parquet(dataset / f"part-{i:03d}.parquet")
        destination = Destination(root / "published")
        destination.publish(default_release())
        destination.activate(default_release().month)

        def single() -> None:
            enrich_file(root / "all.parquet", root / "single.parquet", resolver.index, progress=False)

        with (
            LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl,
            Client(cl),
        ):

            def distributed() -> None:
                cards = dd.read_parquet(str(dataset))
                enrich(cards, releases=str(root / "published")).to_parquet(
                    str(root / "dask"), write_index=False, overwrite=True
                )

            figures = {
                "cardbin enrich (1 process)": median_times(single, args.repeats),
                f"dask, {args.workers} workers": median_times(distributed, args.repeats),
            }
        rows = pl.scan_parquet(root / "dask" / "*.parquet").select(pl.len()).collect().item()
        assert rows == args.rows, rows
    print(f"release {resolver.release}, {args.rows:,} cards in {args.files} files, median of {args.repeats} runs")
    print(f"{'':30s} {'wall':>9s} {'M cards/s':>10s} {'CPU (client)':>13s}")
    for name, (wall, cpu) in figures.items():
        print(f"{name:30s} {wall:7.3f} s {args.rows / wall / 1e6:10.2f} {cpu:11.3f} s")


if __name__ == "__main__":
    main()
