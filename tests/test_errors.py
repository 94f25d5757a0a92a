import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.db import SessionDep
from app.errors import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    json_pointer,
    problem_response,
)


def test_json_pointer_escapes_slashes_and_tildes() -> None:
    assert json_pointer(["body", "items", 3, "a/b~c"]) == "/body/items/3/a~1b~0c"


@pytest.mark.parametrize(
    ("problem", "status", "retry_after"),
    [
        (TooManyRequests("slow down", retry_after_seconds=7), 429, "7"),
        (ServiceUnavailable("database down", retry_after_seconds=5), 503, "5"),
    ],
)
def test_retryable_problems_say_when_to_retry(
    problem: Problem, status: int, retry_after: str
) -> None:
    response = problem_response(problem, instance="/v1/x", request_id="abc")
    assert response.status_code == status
    assert response.headers["retry-after"] == retry_after
    assert response.media_type == PROBLEM_MEDIA_TYPE


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    @app.post("/test/conflict")
    async def conflict(session: SessionDep) -> None:
        digest = b"\x01" * 32
        for _ in range(2):
            await session.execute(
                text(
                    "INSERT INTO api_keys (id, name, role, scopes, digest, prefix)"
                    " VALUES (:id, 'dup', 'admin', ARRAY['read'], :digest, 'jalon_')"
                ),
                {"id": uuid.uuid4(), "digest": digest},
            )

    @app.get("/test/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals: Jeanne Martin, born 1970-01-01")

    @app.get("/test/timeout")
    async def slow(session: SessionDep) -> None:
        await session.execute(text("SET LOCAL statement_timeout = '50ms'"))
        await session.execute(text("SELECT pg_sleep(1)"))

    return app


async def test_integrity_error_is_409_problem(
    failing_app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/test/conflict")
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    # the answer names no constraint: it would tell of the schema, and of other records
    assert response.json()["detail"] == "a record with the same unique value exists"
    assert "uq_" not in response.text


async def test_unexpected_error_is_500_with_request_id_and_no_internals(
    failing_app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="jalon.errors"):
        response = await client.get("/test/bug", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    body = response.json()
    assert body["request_id"] == "req-42" == response.headers["x-request-id"]
    assert "Jeanne" not in response.text
    assert "Traceback" not in response.text
    assert any(record.request_id == "req-42" for record in caplog.records)  # type: ignore[attr-defined]


async def test_statement_timeout_is_503_with_retry_after(
    failing_app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get("/test/timeout")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.json()["type"].endswith("/service-unavailable")


def test_asyncpg_errors_of_the_hot_paths_are_problems_too() -> None:
    import asyncpg

    from app.errors import from_database_error

    timeout = from_database_error(asyncpg.QueryCanceledError("canceling statement"), 2, {})
    assert timeout is not None
    assert (timeout.status, timeout.detail) == (503, "the query took too long")
    taken = from_database_error(asyncpg.UniqueViolationError("duplicate key"), 2, {})
    assert taken is not None
    assert taken.status == 409
    gone = from_database_error(asyncpg.ConnectionDoesNotExistError("closed"), 2, {})
    assert gone is not None
    assert gone.status == 503
    assert from_database_error(asyncpg.UndefinedColumnError("no such column"), 2, {}) is None
