"""The route index picks the route FastAPI's own scan would pick, for every route."""

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import BaseRoute, Match

from app.routing import RouteIndex, route_key

SAMPLES = {"month": "2025-03", "external_ref": "PO-42", "code": "84", "indicator": "entrees"}


def concrete(path: str) -> str:
    """A request path for a route template, with a plausible value per parameter."""
    return re.sub(
        r"\{(\w+)(?::\w+)?\}", lambda match: SAMPLES.get(match.group(1), str(uuid.uuid4())), path
    )


def scanned(routes: list[BaseRoute], scope: dict[str, object]) -> BaseRoute | None:
    """What FastAPI's router does: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def indexed(index: RouteIndex, scope: dict[str, object]) -> BaseRoute | None:
    """The same scan, over the index's candidates for the request's key."""
    key = route_key(str(scope["path"]))
    return scanned(index.candidates.get(key, []) if key else [], scope)


def scope_of(method: str, path: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_every_route_is_found_through_the_index(app: FastAPI) -> None:
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = list(app.router.routes)
    checked = 0
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str) or route_key(path) is None:
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            scope = scope_of(method, concrete(path))
            assert indexed(index, scope) is scanned(routes, scope), (method, path)
            checked += 1
        # another method on the same path: the same 405 route, or none
        scope = scope_of("TRACE", concrete(path))
        assert indexed(index, scope) is scanned(routes, scope), ("TRACE", path)
    assert checked > 80


@pytest.mark.parametrize(
    "path", ["/v1/nothing", "/v1/parcours/", "/v1", "/", "/v1/contracts/x/y/z/w/v"]
)
async def test_what_the_index_cannot_settle_goes_to_fastapi(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code in (307, 401, 404), response.text
    if response.status_code == 404:
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_wrong_method_is_a_405_problem(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.delete("/v1/parcours", headers=admin_headers)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/missions", "GET, POST"),
        ("PUT", "/v1/missions/4c3b2a19-0817-4f6e-9d5c-4b3a29180716", "GET, PATCH"),
        ("POST", "/v1/webhooks/4c3b2a19-0817-4f6e-9d5c-4b3a29180716", "DELETE, GET, PATCH"),
        # a literal path names its resource, though a parameter's route has the method
        ("GET", "/v1/contracts/validate", "POST"),
        ("GET", "/v1/missions/bulk", "POST"),
        ("PATCH", "/v1/missions/bulk/ndjson", "POST"),
    ],
)
async def test_a_405_allows_every_method_of_the_resource(
    client: httpx.AsyncClient, admin_headers: dict[str, str], method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, headers=admin_headers)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allowed
    assert response.headers["content-type"] == "application/problem+json"
