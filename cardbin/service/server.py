"""The ASGI servers `cardbin serve` runs the app under, configured for a hostile network.

Slow or idle clients must not deny service: headers must arrive within HEADER_TIMEOUT_S (granian; uvicorn has no
such timeout), a body within the app's own body timeout (cardbin.service.edge), idle keep-alive connections are
closed (uvicorn; granian closes them at the header timeout), and connections per worker are capped.
`scripts/bench_slow_clients.py` measures both servers under thousands of slow-header connections and
`scripts/bench_service.py` their throughput: granian is the default for both reasons.

Imported only by `cardbin serve` and the benchmarks: the servers load nothing until a server is started.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

Server = Literal["granian", "uvicorn"]
SERVERS: tuple[Server, ...] = ("granian", "uvicorn")
APP = "cardbin.service.app:app_from_env"

HEADER_TIMEOUT_S = 5  # a request's headers must be complete this long after its first byte (granian)
KEEP_ALIVE_S = 5  # an idle keep-alive connection is closed after this long (uvicorn)
BACKLOG = 4096  # accepted connections waiting for a worker
# Connections per worker (granian's backpressure counts connections; uvicorn's limit connections and tasks, 503 past
# it). High, because an idle connection costs little and the header timeout recycles slow ones; at 1,024 granian
# left legitimate clients queued behind 3,000 slowloris connections.
MAX_CONNECTIONS = 8192


def run(
    server: Server,
    *,
    target: str = APP,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Serve the ASGI factory `target` until interrupted. The app writes its own access log (cheaper than the
    servers'), so theirs is off; cardbin's loggers go to the server's console."""
    if server == "granian":
        _granian(target, host, port, workers)
    else:
        _uvicorn(target, host, port, workers, forwarded_allow_ips)


def _granian(target: str, host: str, port: int, workers: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LOGGING_CONFIG

    log_config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["cardbin"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    Granian(
        target,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        backlog=BACKLOG,
        backpressure=MAX_CONNECTIONS,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_S * 1000, keep_alive=True),
        log_access=False,
        log_dictconfig=log_config,
        respawn_failed_workers=True,
    ).serve()


def _uvicorn(target: str, host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    log_config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["cardbin"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run(
        target,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=log_config,
        backlog=BACKLOG,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=KEEP_ALIVE_S,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )
