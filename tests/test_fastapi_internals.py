"""One test per FastAPI internal that app/fastapi_internals.py relies on: a FastAPI
release that moves one fails here, by name, before any fast route misbehaves."""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import fastapi.applications
import httpx
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Cookie,
    Depends,
    FastAPI,
    Header,
    Request,
    Response,
    WebSocket,
)
from fastapi.routing import APIRoute
from fastapi.security import SecurityScopes
from pydantic import BaseModel
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from app.fastapi_internals import (
    declared,
    included_routes,
    observed_by_telemetry,
    set_dispatch,
)


class Body(BaseModel):
    note: str


async def limit_of(request: Request, limit: int = 10) -> int:
    return limit


def route_of(endpoint: Callable[..., Any], path: str = "/probe/{probe_id}") -> APIRoute:
    router = APIRouter()
    router.post(path)(endpoint)
    (route,) = router.routes
    assert isinstance(route, APIRoute)
    return route


def test_declared_reads_path_query_body_request_and_dependencies() -> None:
    async def endpoint(
        probe_id: int,
        body: Body,
        request: Request,
        limit: Annotated[int, Depends(limit_of)],
        q: str = "",
    ) -> Response:
        return Response()

    endpoint_declared = declared(route_of(endpoint))
    assert endpoint_declared.call is endpoint
    assert endpoint_declared.unplannable == ()
    assert endpoint_declared.request_param == "request"
    assert [(where, name, alias) for where, name, alias, _ in endpoint_declared.fields] == [
        ("path", "probe_id", "probe_id"),
        ("query", "q", "q"),
    ]
    assert endpoint_declared.fields[0][3].annotation is int
    assert endpoint_declared.body == (("body", Body),)
    (dependency,) = endpoint_declared.dependencies
    assert (dependency.name, dependency.call, dependency.request_param) == (
        "limit",
        limit_of,
        "request",
    )
    assert [name for _, name, _, _ in dependency.fields] == ["limit"]


def test_declared_names_every_parameter_a_plan_cannot_give() -> None:
    async def endpoint(
        response: Response,
        tasks: BackgroundTasks,
        scopes: SecurityScopes,
        connection: HTTPConnection,
        x_probe: Annotated[str, Header()],
        session: Annotated[str, Cookie()],
    ) -> Response:
        return Response()

    assert set(declared(route_of(endpoint, "/probe")).unplannable) == {
        "a Response parameter",
        "a BackgroundTasks parameter",
        "a SecurityScopes parameter",
        "an HTTPConnection parameter",
        "a header parameter",
        "a cookie parameter",
    }

    async def socket(websocket: WebSocket) -> None:
        return None

    router = APIRouter()
    router.websocket("/socket")(socket)
    (websocket_route,) = router.routes
    dependant = websocket_route.dependant  # type: ignore[attr-defined]
    assert dependant.websocket_param_name == "websocket"


async def test_set_dispatch_replaces_the_routers_own() -> None:
    app = FastAPI()

    @app.get("/probe")
    async def probe() -> Response:
        return Response("router")

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        await Response("dispatch")(scope, receive, send)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://probe"
    ) as client:
        assert (await client.get("/probe")).text == "router"
        set_dispatch(app, dispatch)
        assert (await client.get("/probe")).text == "dispatch"


async def test_the_router_falls_back_through_its_app() -> None:
    """RouteIndex falls back on ``router.app``: FastAPI's dispatch without the index."""
    app = FastAPI()

    @app.get("/probe")
    async def probe() -> Response:
        return Response("router")

    fallback = app.router.app

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        await fallback(scope, receive, send)

    set_dispatch(app, dispatch)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://probe"
    ) as client:
        assert (await client.get("/probe")).text == "router"


def test_fastapi_marks_requests_its_telemetry_follows_with_the_scope_key() -> None:
    source = inspect.getsource(fastapi.applications.FastAPI.__call__)
    assert '"fastapi.telemetry" in scope' in source
    assert observed_by_telemetry({"type": "http", "fastapi.telemetry": None})
    assert not observed_by_telemetry({"type": "http"})


def test_included_routes_are_found_however_deep() -> None:
    async def probe() -> Response:
        return Response()

    inner, outer = APIRouter(), APIRouter()
    inner.get("/inner")(probe)
    outer.get("/outer")(probe)
    outer.include_router(inner, prefix="/deep")
    app = FastAPI()
    app.include_router(outer)
    paths = {getattr(route, "path", None) for route in included_routes(app.router)}
    assert {"/outer", "/inner"} <= paths
