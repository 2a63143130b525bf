"""The Litestar application factory.

`create_app()` serves the active release of the DuckDB store named by `db` / CARDBIN_DB (hot-swapped when
another release is activated) or, without a store, the bundled release. `create_app(resolver=...)` serves a
fixed Resolver (tests, embedding). `app_from_env` is the factory uvicorn's workers call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from cardbin.resolve.resolver import Resolver
from cardbin.service.auth import AccessPolicy
from cardbin.service.problems import EXCEPTION_HANDLERS
from cardbin.service.releases import POLL_INTERVAL, ServedRelease
from cardbin.service.routes import build_routes

# A 1,000-card batch is ~30 KB; anything far larger is refused before it is parsed.
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True)
class ServiceSettings:
    """`db` None serves the bundled release (no watcher); access control is off unless configured."""

    db: Path | None = None
    access: AccessPolicy = field(default_factory=AccessPolicy)
    poll_interval: float = POLL_INTERVAL

    @classmethod
    def from_env(cls) -> ServiceSettings:
        """CARDBIN_DB plus the access variables of `cardbin.service.auth`: what every uvicorn worker reads."""
        from cardbin.store import default_db_path  # DuckDB only loads when a store is configured

        return cls(db=default_db_path(), access=AccessPolicy.from_env(os.environ))


def create_app(settings: ServiceSettings | None = None, *, resolver: Resolver | None = None) -> Litestar:
    settings = settings or ServiceSettings()
    served = ServedRelease(resolver=resolver, db=settings.db, poll_interval=settings.poll_interval)
    return Litestar(
        route_handlers=build_routes(served),
        guards=[settings.access.guard] if settings.access.enabled else None,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[served.start],
        on_shutdown=[served.stop],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="cardbin",
            version="1",
            description="Bank-card BIN and CNAPS (联行号) lookups. Errors are RFC 9457 problem+json.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        logging_config=None,
    )


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory` (and `cardbin serve`): settings come from the environment."""
    return create_app(ServiceSettings.from_env())
