"""`cardbin serve`: the HTTP lookup service under granian (default) or uvicorn (see cardbin.service.server)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cardbin.cli.app import app
from cardbin.cli.output import EXIT_USAGE


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
    "--releases",
    metavar="DEST",
    help="Follow the releases published in DEST (a directory or an http(s) URL; see `cardbin release publish`).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="One line per request on stdout, card numbers masked, written in batches.",
)
@click.option(
    "--spares/--no-spares",
    default=False,
    show_default=True,
    help="Keep the next loaded and the previous release built: swaps at once, two more indexes in memory.",
)
@click.option(
    "--server",
    type=click.Choice(["granian", "uvicorn"], case_sensitive=False),
    default="granian",
    show_default=True,
    help="ASGI server: granian resists slow clients (header timeout); uvicorn has none.",
)
@click.option(
    "--forwarded-allow-ips",
    help="Proxies trusted for X-Forwarded-For, --server uvicorn only (the IP allowlist then sees the real client).",
)
def serve(
    *,
    host: str,
    port: int,
    workers: int,
    db: Path | None,
    releases: str | None,
    access_log: bool,
    spares: bool,
    server: str,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve lookups over HTTP; activating another release in the store (or in DEST) swaps it in.

    Access control comes from the environment: CARDBIN_API_KEYS / CARDBIN_API_KEYS_FILE, CARDBIN_ALLOW_IPS. A
    variable that is set but names nothing refuses to start (exit code 2).
    """
    from cardbin.errors import CardbinError
    from cardbin.service.app import ACCESS_LOG_ENV, RELEASES_ENV, SPARES_ENV, ServiceSettings
    from cardbin.service.server import run

    server = server.lower()
    if forwarded_allow_ips is not None and server != "uvicorn":
        raise click.BadParameter("only read under --server uvicorn", param_hint="--forwarded-allow-ips")
    if db is not None and releases is not None:
        raise click.UsageError("give either --db (a store) or --releases (a published destination), not both")
    if db is not None:
        os.environ["CARDBIN_DB"] = str(db.resolve())  # the workers read their settings from the environment
    if releases is not None:
        os.environ.pop("CARDBIN_DB", None)
        is_url = releases.startswith(("http://", "https://"))
        os.environ[RELEASES_ENV] = releases if is_url else str(Path(releases).resolve())
    os.environ[ACCESS_LOG_ENV] = "1" if access_log else "0"
    os.environ[SPARES_ENV] = "1" if spares else "0"
    try:
        ServiceSettings.from_env()  # a misconfigured access setting stops here, before any worker starts
    except CardbinError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_USAGE) from None
    run(
        "granian" if server == "granian" else "uvicorn",
        host=host,
        port=port,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
