"""Route dispatch through an index.

FastAPI finds a request's route by trying every route in turn, about 1.5 µs each:
over 200 µs for the late ones of this API, more than the database query behind most
reads. The index keys each route by its segment count and its first two segments
(``/v1/contracts/{id}/hours/{month}`` -> ``(5, "v1", "contracts")``), so a request
tries only the few routes of its key, in their declared order, with FastAPI's own
``matches``. What the index cannot settle (no route of that shape: a 404, a
trailing-slash redirect) goes to FastAPI's router unchanged.
"""

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.fastapi_internals import included_routes, observed_by_telemetry, set_dispatch
from app.lean import LeanRoute

Key = tuple[int, str, str]


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the route function's name, which connectors rely on."""
    return route.name


def api_router(**options: Any) -> APIRouter:
    """An APIRouter whose operation ids are the route functions' names, and whose
    simple routes resolve their parameters by plan (:mod:`app.lean`)."""
    return APIRouter(generate_unique_id_function=operation_id, route_class=LeanRoute, **options)


def mount(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Adds the routers' routes to the app's own list, as FastAPI did before it kept
    included routers as a tree; their paths, tags and responses are already set."""
    for router in routers:
        app.router.routes.extend(router.routes)


class FastRouteIncluded(RuntimeError):
    def __init__(self, route: LeanRoute) -> None:
        super().__init__(
            f"{route.name} asks for the fast path but was added with include_router, "
            "which would never reach its plan: add its router with app.routing.mount"
        )


def install_route_index(app: FastAPI) -> None:
    """Dispatches the app's requests through a :class:`RouteIndex` (call it once every
    route is mounted); refuses to start if a fast route's plan cannot be reached."""
    for route in included_routes(app.router):
        if isinstance(route, LeanRoute) and route.plan is not None:
            raise FastRouteIncluded(route)
    set_dispatch(app, RouteIndex(app.router))


def route_key(path: str) -> Key | None:
    """The key of a request path, or of a route's path template; None when a route's
    first segments hold a parameter, or a parameter may span segments."""
    segments = path.split("/")[1:]
    first, second = segments[0], segments[1] if len(segments) > 1 else ""
    if "{" in first or "{" in second or ":path}" in path:
        return None
    return (len(segments), first, second)


def _may_match(route: BaseRoute, key: Key) -> bool:
    """Whether ``route`` may match a path of ``key``."""
    if isinstance(route, Mount):
        return route.path == "" or route.path.split("/")[1] in ("", key[1]) or "{" in route.path
    path = getattr(route, "path", None)
    own = route_key(path) if isinstance(path, str) and isinstance(route, Route) else None
    return own is None or own == key


class RouteIndex:
    """Pure ASGI: the router's matching loop, narrowed to the routes that can match."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.fallback: ASGIApp = router.app  # FastAPI's own dispatch
        ordered = list(router.routes)
        keys = {route_key(route.path) for route in ordered if isinstance(route, Route)} - {None}
        # a route without a key of its own stays a candidate wherever it may match
        self.candidates: dict[Key, list[BaseRoute]] = {
            key: [route for route in ordered if _may_match(route, key)]
            for key in keys
            if key is not None
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not observed_by_telemetry(scope):
            key = route_key(scope["path"])
            candidates = self.candidates.get(key) if key is not None else None
            if candidates:
                scope.setdefault("router", self.router)
                if await self._dispatch(candidates, scope, receive, send):
                    return
        await self.fallback(scope, receive, send)

    @staticmethod
    async def _dispatch(
        candidates: list[BaseRoute], scope: Scope, receive: Receive, send: Send
    ) -> bool:
        full: tuple[BaseRoute, Scope] | None = None
        partials: list[BaseRoute] = []
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match is Match.FULL and full is None:
                full = (route, child_scope)
                if "{" not in getattr(route, "path", "{"):
                    break  # a literal path: nothing can be more specific
            elif match is Match.PARTIAL:
                partials.append(route)
        # a resource named by a literal path is the one meant, though a parameter's
        # route takes the method: GET /v1/contracts/validate is a 405, not a contract id
        literal = [route for route in partials if getattr(route, "path", None) == scope["path"]]
        if full is not None and not (literal and "{" in getattr(full[0], "path", "")):
            route, child_scope = full
            scope.update(child_scope)
            await route.handle(scope, receive, send)
            return True
        if not partials:
            return False
        # the methods of every route of the resource, not only the first one's
        resource = literal or partials
        allowed = sorted({m for r in resource for m in getattr(r, "methods", None) or ()})
        raise StarletteHTTPException(status_code=405, headers={"Allow": ", ".join(allowed)})
