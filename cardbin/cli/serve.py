"""`cardbin serve`: the HTTP lookup service under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from cardbin.cli.app import app


@app.command()
def serve(
    *,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; each watches the store itself.")] = 1,
    db: Annotated[
        Path | None,
        typer.Option(help="DuckDB release store (default: CARDBIN_DB; without one, the bundled release)."),
    ] = None,
    access_log: Annotated[
        bool, typer.Option(help="One line per request (card numbers in URLs masked); off for top throughput.")
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Proxies trusted for X-Forwarded-For (the IP allowlist then sees the real client)."),
    ] = None,
) -> None:
    """Serve lookups over HTTP; activating another release in the store swaps it in within a second.

    Access control comes from the environment: CARDBIN_API_KEYS / CARDBIN_API_KEYS_FILE, CARDBIN_ALLOW_IPS.
    """
    import uvicorn  # imported here: the other commands should not pay for the web stack

    from cardbin.service.logs import log_config

    if db is not None:
        os.environ["CARDBIN_DB"] = str(db.resolve())  # the workers read their settings from the environment
    uvicorn.run(
        "cardbin.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(),
        access_log=access_log,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )
