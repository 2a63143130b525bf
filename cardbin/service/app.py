"""The ASGI application factory.

`create_app()` serves the active release of the published destination named by `releases` / CARDBIN_RELEASES or
of the DuckDB store named by `db` / CARDBIN_DB (hot-swapped when another release is activated) or, without
either, the bundled release. `create_app(resolver=...)` serves a
fixed Resolver (tests, embedding). `app_from_env` is the factory a server's workers call (`cardbin serve`, or
`uvicorn --factory` / `granian --factory` directly): it installs the log masking of `cardbin.service.logs`
first, so no server's log can carry a card number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from cardbin.resolve.resolver import Resolver
from cardbin.service import logs
from cardbin.service.auth import NO_KEY, AccessPolicy
from cardbin.service.edge import BODY_TIMEOUT_S, AccessLog, Edge
from cardbin.service.fastpath import LookupFastPath
from cardbin.service.problems import EXCEPTION_HANDLERS
from cardbin.service.releases import (
    BUNDLE_POLL_INTERVAL,
    POLL_INTERVAL,
    BundleSource,
    ReleaseSource,
    ServedRelease,
    StoreSource,
)
from cardbin.service.routes import build_routes
from cardbin.service.wire import PROBLEM_TYPES, problem_type

# A 1,000-card batch is ~30 KB; anything far larger is refused before it is parsed.
MAX_BODY_BYTES = 1 << 20
ACCESS_LOG_ENV = "CARDBIN_ACCESS_LOG"  # "1": the app writes the access log (`cardbin serve` sets it)
RELEASES_ENV = "CARDBIN_RELEASES"  # a published destination (directory or URL) to follow instead of a store
SPARES_ENV = "CARDBIN_SPARES"  # "1": keep the next and previous releases built (see cardbin.service.releases)
DOCS_ASSETS = "/schema/assets"


@dataclass(frozen=True)
class ServiceSettings:
    """`releases` (a published destination) or `db` (a store) is followed; neither serves the bundled release (no
    watcher); access control is off unless configured."""

    db: Path | None = None
    releases: str | None = None
    access: AccessPolicy = field(default_factory=AccessPolicy)
    poll_interval: float = POLL_INTERVAL
    access_log: bool = False
    spares: bool = False
    body_timeout_s: float = BODY_TIMEOUT_S

    @classmethod
    def from_env(cls) -> ServiceSettings:
        """CARDBIN_RELEASES, CARDBIN_DB, CARDBIN_ACCESS_LOG, CARDBIN_SPARES and the access variables of
        `cardbin.service.auth`.

        What every worker reads; InvalidInput for an access variable that is set but names nothing.
        """
        from cardbin.store import default_db_path  # DuckDB only loads when a store is configured

        return cls(
            db=default_db_path(),
            releases=os.environ.get(RELEASES_ENV, "").strip() or None,
            access=AccessPolicy.from_env(os.environ),
            access_log=os.environ.get(ACCESS_LOG_ENV) == "1",
            spares=os.environ.get(SPARES_ENV) == "1",
        )


_DESCRIPTION = """Bank-card BIN and CNAPS (联行号) lookups from versioned monthly releases.

A card number travels only in a request body (`POST /v1/cards/lookup`, `POST /v1/cards/batch`), never in a URL;
answers carry it masked (first 6, last 4). For many cards send batches of up to 1,000: one request per card costs
far more. Request bodies are `application/json`. When API keys are configured, send one in the key header
(`X-API-Key` unless configured otherwise); the probes and this documentation need none.

Errors are RFC 9457 `application/problem+json` with `type` `urn:cardbin:problem:<slug>`:

""" + "\n".join(f"- `{problem_type(slug)}` ({status}): {meaning}" for slug, (status, meaning) in PROBLEM_TYPES.items())


def _openapi(access: AccessPolicy) -> OpenAPIConfig:
    assets = f"{DOCS_ASSETS}/"
    return OpenAPIConfig(
        title="cardbin",
        version="1",
        description=_DESCRIPTION,
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=assets + "swagger-ui-bundle.js",
                css_url=assets + "swagger-ui.css",
                standalone_preset_js_url=assets + "swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{assets}favicon-32x32.png'>",
            )
        ],
        openapi_router=Router(path="/schema", route_handlers=[], opt={NO_KEY: True}, include_in_schema=False),
        components=Components(
            security_schemes={"apiKey": SecurityScheme(type="apiKey", name=access.header, security_scheme_in="header")}
        ),
        security=[{"apiKey": []}],
        use_handler_docstrings=True,
    )


def create_app(settings: ServiceSettings | None = None, *, resolver: Resolver | None = None) -> Edge:
    logs.install()
    settings = settings or ServiceSettings()
    source: ReleaseSource | None = None
    poll_interval = settings.poll_interval
    if resolver is None and settings.releases is not None:
        source, poll_interval = BundleSource(settings.releases), max(poll_interval, BUNDLE_POLL_INTERVAL)
    elif resolver is None and settings.db is not None:
        source = StoreSource(settings.db)
    served = ServedRelease(resolver=resolver, source=source, poll_interval=poll_interval, spares=settings.spares)
    access_log = AccessLog() if settings.access_log else None
    docs_assets = create_static_files_router(
        path=DOCS_ASSETS, directories=[Path(str(swagger_ui_path))], opt={NO_KEY: True}, name="docs-assets"
    )
    app = Litestar(
        route_handlers=[*build_routes(served), docs_assets],
        guards=[settings.access.guard] if settings.access.enabled else None,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[served.start, *([access_log.start] if access_log else [])],
        on_shutdown=[served.stop, *([access_log.stop] if access_log else [])],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=_openapi(settings.access),
        logging_config=None,
    )
    # With access control on, every lookup passes the route's guard: no fast path then.
    fast_routes = {} if settings.access.enabled else {LookupFastPath.PATH: LookupFastPath(served, MAX_BODY_BYTES)}
    return Edge(app, access_log, settings.body_timeout_s, fast_routes)


def app_from_env() -> Edge:
    """Factory for `cardbin serve` and any ASGI server's `--factory`: settings come from the environment."""
    return create_app(ServiceSettings.from_env())
