"""Benchmark: how soon every replica following one published destination serves a newly activated month.

    .venv/bin/python scripts/bench_replicas.py [--replicas 3] [--activations 9] [--http] [--spares]

The bundled release is published twice into a temporary directory (its own month and 2099-01: the same tables, so
each swap builds a full bundled-size index), `--replicas` `cardbin serve --releases DEST` processes follow it (over
HTTP from Python's static file server with `--http`; with `--spares` each keeps both months built), and the two
months are activated in turn, at a random phase of the replicas' poll. Timed: from the pointer's write until every
replica's /v1/releases names the new month (each polled every 10 ms); median, min and max over `--activations`.
Baseline from the same run: what a replica does once it has seen the pointer, in this process: read and check the
bundle (`Destination.read_release`) and build its index (`Resolver.from_release`). On an idle machine a replica
serves the new month at most one poll interval plus that after the write; with spares, within the poll interval.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import median_times

from cardbin.publish import Destination
from cardbin.release.bundled import default_release
from cardbin.resolve import Resolver
from cardbin.service.releases import BUNDLE_POLL_INTERVAL
from cardbin.service.wire import Releases
from tests.cardbin.harness import STARTUP_LIMIT, follow_process, static_server

OTHER = "2099-01"


def serving(client: httpx.Client) -> str | None:
    answer = client.get("/v1/releases")
    return msgspec.json.decode(answer.content, type=Releases).serving if answer.status_code == 200 else None


def converge(clients: list[httpx.Client], month: str, start: float) -> list[float]:
    """Seconds from `start` until each replica first served `month`."""
    seen: dict[int, float] = {}
    while len(seen) < len(clients):
        for i, client in enumerate(clients):
            if i not in seen and serving(client) == month:
                seen[i] = time.monotonic() - start
        if time.monotonic() - start > STARTUP_LIMIT:
            raise SystemExit(f"replicas did not converge on {month} within {STARTUP_LIMIT} s")
        time.sleep(0.01)
    return [seen[i] for i in range(len(clients))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--activations", type=int, default=9)
    parser.add_argument("--http", action="store_true", help="replicas read the destination over HTTP")
    parser.add_argument("--spares", action="store_true", help="replicas keep both months built")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    release = default_release()
    months = [release.month, OTHER]

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        published = root / "published"
        destination = Destination(published)
        destination.publish(release)
        destination.publish(dataclasses.replace(release, month=OTHER))
        destination.activate(release.month)
        baseline = median_times(lambda: Resolver.from_release(destination.read_release(OTHER)), 3)

        location = stack.enter_context(static_server(published)) if args.http else str(published)
        options = ("--spares",) if args.spares else ()
        replicas = [stack.enter_context(follow_process(location, root, options))[0] for _ in range(args.replicas)]
        clients = [stack.enter_context(httpx.Client(base_url=url, timeout=10.0)) for url in replicas]
        converge(clients, release.month, time.monotonic())
        if args.spares:  # until both months are built on every replica
            time.sleep(baseline[0] * 3 + 2 * BUNDLE_POLL_INTERVAL)

        every, last = [], []
        for n in range(args.activations):
            month = months[(n + 1) % 2]
            time.sleep(rng.uniform(0, BUNDLE_POLL_INTERVAL))
            start = time.monotonic()
            destination.activate(month)
            times = converge(clients, month, start)
            every += times
            last.append(max(times))

    how = ("over HTTP" if args.http else "on the directory") + (", --spares" if args.spares else "")
    print(f"{args.replicas} replicas {how}; poll interval {BUNDLE_POLL_INTERVAL} s")
    print(f"baseline, one replica's work after it sees the pointer (read + check + index): {baseline[0]:.2f} s")
    print(
        f"every replica on the new month, over {args.activations} activations: median {statistics.median(last):.2f} s"
        f" (min {min(last):.2f} s, max {max(last):.2f} s); one replica: median {statistics.median(every):.2f} s"
    )
    print(f"median / (poll interval + baseline): {statistics.median(last) / (BUNDLE_POLL_INTERVAL + baseline[0]):.2f}")


if __name__ == "__main__":
    main()
