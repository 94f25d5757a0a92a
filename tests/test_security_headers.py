"""Security headers on every response; CORS off unless configured."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.main import create_app
from app.settings import Settings

STRICT = "default-src 'none'; frame-ancestors 'none'"


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["content-security-policy"]


async def test_every_kind_of_answer_is_secured(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Settings
) -> None:
    answers = [
        await client.get("/healthz"),
        await client.get("/v1/parcours", headers=admin_headers),
        await client.get("/v1/structures"),  # 401 from the key check
        await client.get("/v1/nowhere", headers=admin_headers),  # 404 from the router
        await client.post(  # 413 from a middleware, before any route
            "/v1/structures",
            headers={**admin_headers, "Content-Type": "application/json"},
            content=b"{" + b" " * settings.max_body_bytes + b"}",
        ),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 401, 404, 413]
    for answer in answers:
        assert_secured(answer)
        assert answer.headers["content-security-policy"] == STRICT
    assert "cache-control" not in answers[0].headers
    for answer in answers[1:]:
        assert answer.headers["cache-control"] == "no-store"


async def test_the_documentation_may_run_its_scripts(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert_secured(page)
    assert "script-src 'self' 'unsafe-inline'" in page.headers["content-security-policy"]


async def test_no_cors_unless_configured(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/v1/parcours",
        headers={"Origin": "https://erp.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    plain = await client.get("/healthz", headers={"Origin": "https://erp.example"})
    assert "access-control-allow-origin" not in plain.headers


@pytest.fixture
def cors_app(settings: Settings, connection: AsyncConnection) -> FastAPI:
    configured = settings.model_copy(update={"cors_origins": ["https://erp.example"]})
    return create_app(configured, database=Database.bound_to(connection))


async def test_configured_origins_are_allowed(cors_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=cors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        allowed = await client.options(
            "/v1/parcours",
            headers={"Origin": "https://erp.example", "Access-Control-Request-Method": "GET"},
        )
        other = await client.options(
            "/v1/parcours",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://erp.example"
    assert "access-control-allow-origin" not in other.headers
    assert_secured(allowed)
