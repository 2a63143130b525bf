"""Prometheus metrics of the store and of this worker, served over HTTP by prometheus-client.

Read from the database at each scrape (one short read transaction on the scraping thread's own connection), so
every worker answers the same store-wide figures: orders by state, attempts waiting for an operator, the age of the
oldest dispatch still in flight. This worker's own items (by kind and result) are a counter beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector, CollectorRegistry

from payout_core.dispatch.records import count_in
from payout_core.orders import OrderState
from payout_core.worker.loop import Worker


class StoreCollector(Collector):
    """The figures operators alert on; `worker`'s own item counts."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    def collect(self) -> Iterator[Metric]:
        engine = self._worker.engine
        with engine.store.transaction(write=False) as tx:
            states = engine.state_counts(tx=tx)
            review = count_in(tx, "review")
            oldest = engine.oldest_in_flight(tx=tx)
        orders = GaugeMetricFamily("payout_orders", "Orders in each state.", labels=["state"])
        for state in get_args(OrderState):
            orders.add_metric([state], states.get(state, 0))
        yield orders
        yield GaugeMetricFamily(
            "payout_attempts_pending_review", "Dispatch attempts waiting for an operator's decision.", value=review
        )
        age = 0.0 if oldest is None else max(0.0, (self._worker.dispatcher.clock() - oldest).total_seconds())
        yield GaugeMetricFamily(
            "payout_oldest_in_flight_seconds", "Age of the oldest dispatch without a final answer (0: none).", value=age
        )
        items = CounterMetricFamily(
            "payout_worker_items", "Items this worker took, by kind and result.", labels=["kind", "result"]
        )
        for (kind, result), n in sorted(self._worker.done.items()):
            items.add_metric([kind, result], n)
        yield items


def serve_metrics(worker: Worker, port: int, host: str = "127.0.0.1") -> int:
    """Serve /metrics on `host`:`port` (0: a free port) from a daemon thread; the port bound."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(worker))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return int(server.server_port)
