"""`payout-core worker`: one long-running process that routes, dispatches, queries and sweeps (payout_core.worker).

Run as many as needed, on as many machines, against one store. SIGTERM or SIGINT stops a worker gracefully: the
item in hand is finished, the rest released. Logs are JSON lines on stderr; `--metrics-port` serves Prometheus
metrics.
"""

from __future__ import annotations

import logging
import signal
from contextlib import ExitStack
from typing import Annotated

import typer

from payout_core.cli.app import app
from payout_core.cli.console import EXIT_REFUSED, StoreUrl, opened, refusals
from payout_core.errors import PayoutError


@app.command("worker")
def worker(
    *,
    store: StoreUrl,
    dispatcher: Annotated[
        str,
        typer.Option(
            "--dispatcher",
            envvar="PAYOUT_CORE_DISPATCHER",
            help="module:function that builds the Dispatcher (engine, channel adapters, client) from the Store.",
            show_default=False,
        ),
    ],
    lease_seconds: Annotated[
        float,
        typer.Option("--lease-seconds", min=1.0, help="How long a claim lasts: above the channels' timeouts."),
    ] = 60.0,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Items claimed at a time, per kind of work.")] = 50,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", min=0.001, help="Wait after a round that found nothing.")
    ] = 1.0,
    route: Annotated[bool, typer.Option("--route/--no-route", help="Route approved orders (or leave it).")] = True,
    metrics_port: Annotated[
        int | None, typer.Option("--metrics-port", min=0, help="Serve Prometheus metrics here (0: a free port).")
    ] = None,
    metrics_host: Annotated[str, typer.Option("--metrics-host", help="Address the metrics bind to.")] = "127.0.0.1",
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Route, dispatch, query and sweep payouts until SIGTERM."""
    from payout_core.worker import Worker, build_dispatcher, log_to_stderr, serve_metrics

    log_to_stderr(log_level)
    log = logging.getLogger("payout_core.worker")
    with refusals(), ExitStack() as stack:
        try:
            s = stack.enter_context(opened(store))
        except PayoutError:
            raise
        except Exception as exc:  # the database unreachable or refusing us: a log line and exit 1, no traceback
            log.error("store unusable", extra={"fields": {"error": f"{type(exc).__name__}: {exc}"}})
            raise typer.Exit(EXIT_REFUSED) from None
        running = Worker(
            build_dispatcher(dispatcher, s),
            lease_seconds=lease_seconds,
            batch=batch,
            poll_seconds=poll_seconds,
            route=route,
        )
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: running.stop())
        if metrics_port is not None:
            port = serve_metrics(running, metrics_port, metrics_host)
            log.info("metrics served", extra={"fields": {"host": metrics_host, "port": port}})
        running.run()
