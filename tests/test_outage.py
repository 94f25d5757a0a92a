"""PostgreSQL stopped under a running jalon: 503 problems within 5 s, then service
again once it is back, without restarting jalon. On a server this test owns."""

import time
from collections.abc import Iterator

import httpx
import pytest

from app.embedded import EmbeddedPostgres
from tests.support.databases import owned_postgres
from tests.support.keys import bearer
from tests.support.server import RunningServer, jalon_server


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    with owned_postgres("outage") as server:
        yield server


@pytest.fixture(scope="module")
def jalon(own_postgres: EmbeddedPostgres) -> Iterator[RunningServer]:
    with jalon_server(own_postgres.url("jalon"), JALON_RETRY_AFTER_SECONDS="2") as server:
        yield server


# one route through the ORM session, one through the hot paths' own pool
PATHS = ("/v1/keys", "/v1/parcours")


def get(server: RunningServer, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(
        f"{server.base_url}{path}", headers=bearer(server.admin_secret), timeout=30
    )
    return response, time.monotonic() - started


def test_database_outage_gives_503_fast_and_recovers_by_itself(
    own_postgres: EmbeddedPostgres, jalon: RunningServer
) -> None:
    for path in PATHS:
        assert get(jalon, path)[0].status_code == 200

    own_postgres.stop(mode="immediate")
    for _ in range(3):
        for path in PATHS:
            response, elapsed = get(jalon, path)
            assert response.status_code == 503, (path, response.text)
            assert elapsed < 5
            assert response.headers["retry-after"] == "2"
            assert response.headers["content-type"] == "application/problem+json"
    ready, _ = httpx.get(f"{jalon.base_url}/readyz", timeout=30), None
    assert ready.status_code == 503

    own_postgres.ensure_running()
    for path in PATHS:
        deadline = time.monotonic() + 10
        statuses = []
        while time.monotonic() < deadline:
            response, _ = get(jalon, path)
            statuses.append(response.status_code)
            if response.status_code == 200:
                break
            time.sleep(0.2)
        assert statuses[-1] == 200, (path, statuses)
