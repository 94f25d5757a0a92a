"""Every use jalon makes of FastAPI's and Starlette's internals, and nothing else.

The fast path (:mod:`app.lean`, :mod:`app.routing`) needs a few things FastAPI does
not document: what a route's ``Dependant`` holds, where a router dispatches, the scope
key of FastAPI's telemetry, and how ``include_router`` keeps a router. FastAPI is pinned
to one minor release in ``pyproject.toml``, and ``tests/test_fastapi_internals.py``
checks each function here against the installed release, so an upgrade that moves one
fails there, by name.
"""

from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import fastapi.routing
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic.fields import FieldInfo
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

Location = Literal["path", "query"]
# an ASGI app written as a coroutine function, as Starlette types a router's dispatch
Dispatch = Callable[[Scope, Receive, Send], Coroutine[Any, Any, None]]

# The Dependant attributes naming a parameter kind that a plan cannot give.
_UNPLANNABLE = {
    "header_params": "a header parameter",
    "cookie_params": "a cookie parameter",
    "response_param_name": "a Response parameter",
    "background_tasks_param_name": "a BackgroundTasks parameter",
    "security_scopes_param_name": "a SecurityScopes parameter",
    "websocket_param_name": "a WebSocket parameter",
    "http_connection_param_name": "an HTTPConnection parameter",
}

_TELEMETRY_SCOPE_KEY = "fastapi.telemetry"


@dataclass(frozen=True)
class Declared:
    """What a route's endpoint, or one of its dependencies, declares: read from the
    ``Dependant`` FastAPI builds for it."""

    name: str | None
    call: Callable[..., Any] | None
    unplannable: tuple[str, ...]
    request_param: str | None
    # (location, name, alias, FieldInfo) of each path then query parameter
    fields: tuple[tuple[Location, str, str, FieldInfo], ...]
    # (name, annotation) of each body parameter
    body: tuple[tuple[str, Any], ...]
    dependencies: tuple["Declared", ...]


def declared(route: APIRoute) -> Declared:
    return _declared(route.dependant)


def _declared(dependant: Dependant) -> Declared:
    return Declared(
        name=dependant.name,
        call=dependant.call,
        unplannable=tuple(
            what for attribute, what in _UNPLANNABLE.items() if getattr(dependant, attribute)
        ),
        request_param=dependant.request_param_name,
        fields=(
            *(("path", f.name, f.alias, f.field_info) for f in dependant.path_params),
            *(("query", f.name, f.alias, f.field_info) for f in dependant.query_params),
        ),
        body=tuple((f.name, f.field_info.annotation) for f in dependant.body_params),
        dependencies=tuple(_declared(sub) for sub in dependant.dependencies),
    )


def set_dispatch(app: FastAPI, dispatch: Dispatch) -> None:
    """Makes ``dispatch`` the ASGI app the app's router hands each request to, in place
    of the router's own (``app.router.app``, to fall back on)."""
    # Starlette types the attribute by the method it first holds, not as any ASGI app
    app.router.middleware_stack = dispatch  # type: ignore[assignment]


def observed_by_telemetry(scope: Scope) -> bool:
    """Whether FastAPI's telemetry is following this request: its router must then
    dispatch it, as the telemetry reads what the router records."""
    return _TELEMETRY_SCOPE_KEY in scope


def included_routes(router: APIRouter) -> Iterator[BaseRoute]:
    """The routes reached through ``include_router``: FastAPI keeps an included router
    as one route holding it, which dispatches to its routes through handlers of its own
    (not the routes' ``app``)."""
    for route in router.routes:
        if isinstance(route, fastapi.routing._IncludedRouter):
            yield from route.original_router.routes
            yield from included_routes(route.original_router)
