"""Liveness, readiness and metrics, for orchestrators and Prometheus."""

from typing import Literal

from fastapi import Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from starlette.responses import Response

from app.db import get_database
from app.errors import ServiceUnavailable, problem_responses
from app.lean import fast_path
from app.routing import api_router

router = api_router(tags=["operations"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ready", "schema_revision": "0003"}]}
    )

    status: Literal["ready"] = "ready"
    schema_revision: str


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="The database answers and its schema is at the latest revision",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> Readiness:
    expected: str = request.app.state.schema_head
    retry_after: int = request.app.state.settings.retry_after_seconds
    try:
        async with get_database(request).sessions() as session:
            revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
    except ProgrammingError:
        revision = None
    if revision != expected:
        raise ServiceUnavailable(
            f"the schema is at {revision}, not {expected}: run 'jalon migrate'",
            retry_after_seconds=retry_after,
        )
    return Readiness(schema_revision=revision)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Metrics"}},
)
@fast_path
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
