"""The worker's loop: claim, act through the engine and the Dispatcher, give back what it did not start.

Each round: route approved orders (and dispatch the ones it routed while it holds them), dispatch routed orders
nobody holds, sweep attempts left `sending` whose lease passed (queried, never resent), query attempts that are
due. Safety never rests on the leases — every move is a conditional update, an intent to send is written before
the send, and a stuck `sending` attempt is only ever queried — the leases keep workers off each other's work and
bring a dead worker's work back once they pass.

Stopping (`stop()`, SIGTERM in `payout-core worker`): the item in hand is finished — a request sent gets its answer
recorded — and the claimed items not started are released at once for the other workers.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Sequence

from payout_core.dispatch import Dispatcher, OnError, Outcome
from payout_core.orders import Order
from payout_core.store import Lease, worker_id

_log = logging.getLogger("payout_core.worker")

# Kinds of work, as the logs and the metrics name them.
KINDS = ("route", "dispatch", "sweep", "query")


class Worker:
    """Runs `dispatcher` (and its engine) under a lease of `lease_seconds`, which must outlast the longest an item
    is held (the channel client's timeouts included). `route=False` leaves routing to another process."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        lease_seconds: float = 60.0,
        batch: int = 50,
        poll_seconds: float = 1.0,
        route: bool = True,
        rng: random.Random | None = None,
        owner: str | None = None,
    ) -> None:
        self.lease = Lease(owner=owner or worker_id(), seconds=lease_seconds)
        dispatcher.lease = self.lease  # every intent to send is written under it
        self.dispatcher = dispatcher
        self.engine = dispatcher.engine
        self.batch, self.poll_seconds, self.route = batch, poll_seconds, route
        self.rng = rng or random.Random()
        self.done: Counter[tuple[str, str]] = Counter()  # (kind, "ok" | "error") → items
        self._stop = threading.Event()

    def stop(self) -> None:
        """Finish the item in hand, release the rest, return from `run` (safe from a signal handler)."""
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Work until stopped; an idle round waits `poll_seconds`. A round that fails (the store unreachable) is
        logged and the next one starts after the same wait: leases taken meanwhile pass on their own."""
        _log.info("worker started", extra={"fields": {"owner": self.lease.owner, "lease_s": self.lease.seconds}})
        while not self.stopping():
            try:
                busy = self.round()
            except Exception:
                _log.exception("round failed", extra={"fields": {"owner": self.lease.owner}})
                busy = 0
            if not busy:
                self._stop.wait(self.poll_seconds)
        _log.info("worker stopped", extra={"fields": {"owner": self.lease.owner, **self.totals()}})

    def round(self) -> int:
        """One pass over every kind of work; how many items it took."""
        taken = 0
        if self.route:
            taken += self._route()
        taken += self._dispatch(self.engine.claim(self.lease, routed=True, limit=self.batch))
        if not self.stopping():
            swept = self.dispatcher.sweep(self.batch, stop=self.stopping, on_error=self._failed("sweep"))
            self._answered("sweep", swept)
            taken += len(swept)
        if not self.stopping():
            queried = self.dispatcher.run_due(self.batch, stop=self.stopping, on_error=self._failed("query"))
            self.done["query", "ok"] += queried
            taken += queried
        return taken

    def totals(self) -> dict[str, int]:
        return {f"{kind}_{result}": n for (kind, result), n in sorted(self.done.items())}

    def _route(self) -> int:
        claimed = self.engine.claim(self.lease, routed=False, limit=self.batch)
        if not claimed:
            return 0
        routed = self.engine.route_many(claimed, self.rng)
        unroutable = [o for o in routed if o.channel is None]
        self.done["route", "ok"] += len(routed) - len(unroutable)
        for order in unroutable:  # keeps its lease: tried again once it passes, not in a busy loop
            _log.warning("order not routed", extra={"fields": {"order": order.id, "reason": order.route_failure}})
        self._dispatch([o for o in routed if o.channel is not None])
        return len(claimed)

    def _dispatch(self, orders: Sequence[Order]) -> int:
        """Dispatch claimed, routed orders one by one; on stop, release the ones not started."""
        started = 0
        try:
            for order in orders:
                if self.stopping():
                    break
                started += 1
                self.dispatcher.checkpoint("after_route", order.id)
                try:
                    outcome = self.dispatcher.dispatch(order.id)
                except Exception as exc:  # keeps its lease: tried again once it passes
                    self._failed("dispatch")(order.id, exc)
                    continue
                self._answered("dispatch", {order.id: outcome})
        finally:
            self.engine.release([o.id for o in orders[started:]], self.lease.owner)
        return len(orders)

    def _answered(self, kind: str, outcomes: dict[int, Outcome]) -> None:
        self.done[kind, "ok"] += len(outcomes)
        for order_id, outcome in outcomes.items():
            _log.info(kind, extra={"fields": {"order": order_id, "outcome": type(outcome).__name__, **_code(outcome)}})

    def _failed(self, kind: str) -> OnError:
        def failed(order_id: int, exc: Exception) -> None:
            self.done[kind, "error"] += 1
            _log.error(
                f"{kind} failed",
                exc_info=(type(exc), exc, exc.__traceback__),
                extra={"fields": {"order": order_id, "error_type": type(exc).__name__}},
            )

        return failed


def _code(outcome: Outcome) -> dict[str, object]:
    code = getattr(outcome, "code", None)
    return {} if code is None else {"code": code}
