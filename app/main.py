"""The application factory: settings in, a FastAPI app out; nothing else happens here."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import async_sessionmaker

from app import changelog, health
from app.alerts import router as alerts
from app.audit import router as audit
from app.audit.in_transaction import record_before_commit
from app.audit.middleware import AuditMiddleware
from app.auth import KeyCache, RateLimits
from app.companies import router as companies
from app.contract import contract
from app.db import Database, create_engine, create_pool, database_url, field_guards
from app.errors import install_error_handlers
from app.fiches import router as fiches
from app.idempotency.admission import Replay, replay_response
from app.idempotency.middleware import IdempotencyMiddleware
from app.indicators import router as indicators
from app.keys import router as keys
from app.keys.models import Role
from app.logs import configure_logging
from app.middleware import (
    BodyGuardMiddleware,
    HttpMetrics,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from app.migrate import head_revision
from app.missions import router as missions
from app.models import Base
from app.months import router as months
from app.networks import router as networks
from app.pagination import CursorCodec
from app.parcours import contracts_router as contracts
from app.parcours import router as parcours
from app.ratelimit import RateLimiter
from app.reference import router as reference
from app.routing import install_route_index, mount, operation_id
from app.salaries import router as salaries
from app.salaries.nir import nir_key
from app.settings import Settings, load_settings
from app.structures import router as structures
from app.webhooks import router as webhooks
from app.webhooks.dispatcher import Dispatcher, running
from app.webhooks.events import document as document_webhooks

DESCRIPTION = """
jalon is an open REST API for the French *insertion par l'activité économique* (IAE).

Structures d'insertion (SIAE) post parcours, contracts and hours from their HRIS;
client companies post missions and purchases from their ERP; networks, companies and
structures read the same indicators computed from those records.

**Authentication**: every `/v1` call carries an API key, `Authorization: Bearer <key>`.
Keys have a role (`admin`, `structure`, `company`, `network`) and scopes (`read`, `write`).

**Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
documents; quote their `request_id` (also in the `X-Request-ID` header) when asking for help.

**Versions**: `info.version` follows every change to this contract; the changelog
(`GET /changelog`) lists them, breaking ones declared, and deprecations are announced on
the answers with `Deprecation` and `Sunset` headers.

**Lists** are paginated by cursor: `?limit=1..500`, then `?cursor=<next_cursor>` until
`next_cursor` is null.

**Sync**: lists with `updated_since` are ordered by `(updated_at, id)`. Page to the end,
then ask again from the greatest `updated_at` you hold, less a minute. A record changed
during a sync comes again on a later page with its newer `updated_at`: keep the latest
per `id`. What left your view since then (a salarié pseudonymised, a mission given to
another structure, a structure that left your network, an objective deleted) comes in
the page's `deleted` as a tombstone `{id, kind, deleted_at}`, merged in the same order.
"""

TAGS = [
    {"name": "structures", "description": "SIAE, their antennes and annexes financières"},
    {"name": "companies", "description": "Client companies of the SIAE"},
    {"name": "networks", "description": "Fédérations and territorial bodies, and their scope"},
    {"name": "salaries", "description": "Salariés and their PASS IAE (personal data)"},
    {"name": "parcours", "description": "Parcours in a structure: opened, derogations, exit"},
    {"name": "contracts", "description": "Contracts of a parcours, their avenants and hours"},
    {"name": "accompaniment", "description": "Actions, freins and the objectives of a parcours"},
    {"name": "missions", "description": "Work companies give to SIAE, from their ERPs"},
    {
        "name": "indicators",
        "description": "Impact indicators, their targets (objectives) and the dashboard",
    },
    {"name": "alerts", "description": "Contracts, PASS IAE and derogations ending soon"},
    {"name": "reference", "description": "Territories, dated parameters and enumerations"},
    {"name": "keys", "description": "API keys and the caller's identity"},
    {"name": "audit", "description": "Who wrote what, when: the append-only audit log"},
    {"name": "webhooks", "description": "Subscriptions to events, and their delivery log"},
    {"name": "operations", "description": "Health, readiness and metrics"},
]


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """``database`` is for tests, which bind the app to a transaction they roll back."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_format, settings.log_level)
        app.state.nir_key = app.state.nir_key or nir_key(settings)
        if database is not None:
            yield
            return
        url = await database_url(settings)
        engine = create_engine(url, settings)
        pool = await create_pool(url, settings)
        app.state.database = Database.from_engine(engine, pool, settings.pool_timeout_seconds)
        # what start-up allocated lives as long as the process: keep it out of the
        # collector's way, which otherwise rescans it under every large request
        gc.collect()
        gc.freeze()
        try:
            async with webhook_dispatch(url, settings):
                yield
        finally:
            await pool.close()
            await engine.dispose()

    app: FastAPI = FastAPIOffline(
        title="jalon",
        version=changelog.current_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        favicon_url=None,
        # no OpenTelemetry here (jalon exports its own metrics): skip FastAPI's check
        # for configured providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.database = database
    # the NIR hash key: from settings now, else resolved (or refused) at start
    app.state.nir_key = (
        settings.nir_hash_key.get_secret_value().encode() if settings.nir_hash_key else None
    )
    app.state.schema_head = head_revision()
    app.state.key_cache = KeyCache(settings.key_cache_ttl_seconds, settings.key_cache_size)
    app.state.rate_limiter = RateLimiter()
    app.state.rate_limits = RateLimits(
        per_role={Role(role): limit for role, limit in settings.rate_limit_per_minute.items()},
        auth_failures=settings.auth_failures_per_minute,
        auth_failure_pause_seconds=settings.auth_failure_pause_seconds,
    )
    app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value().encode())
    app.state.metrics_registry = CollectorRegistry()
    app.state.before_commit = [record_before_commit]

    app.openapi = lambda: contract(app)  # type: ignore[method-assign]
    install_error_handlers(app, settings.retry_after_seconds, field_guards(Base.metadata))
    app.add_exception_handler(Replay, replay_response)
    mount(
        app,
        [
            health.router,
            changelog.router,
            keys.router,
            audit.router,
            webhooks.router,
            structures.router,
            companies.router,
            networks.router,
            salaries.router,
            parcours.router,
            contracts.router,
            months.router,
            fiches.router,
            alerts.router,
            missions.router,
            indicators.router,
            indicators.objectives_router,
            reference.router,
            fiches.reference_router,
        ],
    )
    install_route_index(app)
    document_webhooks(app.webhooks)

    app.add_middleware(AuditMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        BodyGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        larger=dict.fromkeys(
            (
                "/v1/missions/bulk",
                "/v1/missions/bulk/ndjson",
                # the ASP's return file of a batch of up to 2 MiB, echoed with its codes
                "/v1/structures/*/asp/batches/*/return",
            ),
            settings.max_bulk_body_bytes,
        ),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "ETag",
                "Location",
            ],
        )
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(app.state.metrics_registry))
    app.add_middleware(SecurityHeadersMiddleware)
    return app


@asynccontextmanager
async def webhook_dispatch(url: str, settings: Settings) -> AsyncIterator[None]:
    """The webhook dispatcher, unless this process serves the API only; on connections
    of its own, which its workers hold while they send."""
    if not settings.webhooks_dispatch:
        yield
        return
    engine = create_engine(
        url, settings.model_copy(update={"pool_size": settings.webhook_workers + 2})
    )
    try:
        async with running(Dispatcher(async_sessionmaker(engine), settings)):
            yield
    finally:
        await engine.dispose()


def openapi_document(app: FastAPI) -> bytes:
    """The contract as committed in openapi/openapi.json."""
    return orjson.dumps(app.openapi(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
