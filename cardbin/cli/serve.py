"""`cardbin serve`: the HTTP lookup service under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cardbin.cli.app import app


@app.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes; each watches the store itself.",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    help="DuckDB release store (default: CARDBIN_DB; without one, the bundled release).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="One line per request (card numbers in URLs masked); off for top throughput.",
)
@click.option(
    "--forwarded-allow-ips",
    help="Proxies trusted for X-Forwarded-For (the IP allowlist then sees the real client).",
)
def serve(
    *, host: str, port: int, workers: int, db: Path | None, access_log: bool, forwarded_allow_ips: str | None
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
