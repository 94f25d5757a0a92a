import json
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from app.settings import Settings

PROBLEM = "application/problem+json"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "erp-sync-0001"})
    assert given.headers["x-request-id"] == "erp-sync-0001"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


async def test_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: Settings, admin_headers: dict[str, str]
) -> None:
    big = b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'
    response = await client.post(
        "/v1/keys", content=big, headers={**admin_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_streamed_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: Settings, admin_headers: dict[str, str]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/v1/keys", content=chunks(), headers={**admin_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_body_that_is_not_json_is_415(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/keys", content=b"name=x", headers={**admin_headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/keys",
        content=b'{"name": ',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/nowhere", 404), ("DELETE", "/v1/keys", 405)]
)
async def test_unknown_route_and_method_are_problems(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status


async def test_one_access_log_line_per_request_without_secrets_or_bodies(
    client: httpx.AsyncClient, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="jalon.access"):
        started = time.perf_counter()
        await client.post(
            "/v1/keys",
            headers={**admin_headers, "X-Request-ID": "log-test"},
            json={"name": "Marie Dupont's key", "role": "admin"},
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
    [record] = [r for r in caplog.records if r.name == "jalon.access"]
    fields = record.__dict__
    assert fields["route"] == "/v1/keys"
    assert fields["method"] == "POST"
    assert fields["status"] == 201
    assert fields["request_id"] == "log-test"
    assert fields["key_id"]
    # the time the request took, in milliseconds: within what the client saw
    assert 0 < fields["duration_ms"] <= elapsed_ms
    rendered = json.dumps({k: str(v) for k, v in fields.items()})
    assert "Marie" not in rendered
    assert admin_headers["Authorization"].split()[1] not in rendered


async def test_json_log_format_writes_one_object_per_line() -> None:
    from app.logs import JsonFormatter

    record = logging.LogRecord("jalon.access", logging.INFO, "x", 1, "request", None, None)
    record.route = "/v1/keys/{key_id}"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["route"] == "/v1/keys/{key_id}"


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    import uuid

    await client.get(f"/v1/keys/{uuid.uuid4()}", headers=admin_headers)
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'route="/v1/keys/{key_id}"' in metrics.text
    assert "jalon_http_request_duration_seconds_bucket" in metrics.text
