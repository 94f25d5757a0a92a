"""Faults injected into a jalon process and the PostgreSQL server it uses, both owned
by this test: the server stopped in the middle of a bulk import, SIGTERM under load, a
statement over the timeout, and a storm of 500 concurrent clients. After each: nothing
half-written, nothing lost, every answer a status the client can act on."""

import asyncio
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from app.embedded import EmbeddedPostgres
from tests.support.databases import owned_postgres
from tests.support.figures import record
from tests.support.keys import bearer
from tests.support.records import mission_body
from tests.support.server import RunningServer, company_key_and_structure, jalon_server

STATEMENT_TIMEOUT_MS = 1500
COMPANY_BUDGET = 120  # per minute: the storm's company key runs over it
SERVER_SETTINGS = {
    "JALON_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
    "JALON_RETRY_AFTER_SECONDS": "2",
    "JALON_RATE_LIMIT_PER_MINUTE": f'{{"company": {COMPANY_BUDGET}}}',
}


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    with owned_postgres("faults") as server:
        yield server


@pytest.fixture(scope="module")
def jalon(own_postgres: EmbeddedPostgres) -> Iterator[RunningServer]:
    with jalon_server(own_postgres.url("jalon"), **SERVER_SETTINGS) as server:
        yield server


def dsn(server: EmbeddedPostgres) -> str:
    return "postgresql://" + server.url("jalon").partition("://")[2]


def query(server: EmbeddedPostgres, sql: str, *args: object) -> Any:
    async def run() -> Any:
        connection = await asyncpg.connect(dsn(server))
        try:
            return await connection.fetchval(sql, *args)
        finally:
            await connection.close()

    return asyncio.run(run())


def wait_for_an_uncommitted_write(server: EmbeddedPostgres, timeout: float = 60) -> None:
    """Returns once a jalon transaction has written rows it has not committed yet."""

    async def poll() -> None:
        connection = await asyncpg.connect(dsn(server))
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                writing = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'jalon' AND backend_xid IS NOT NULL"
                )
                if writing:
                    return
                await asyncio.sleep(0.005)
            raise TimeoutError("no jalon transaction wrote anything")
        finally:
            await connection.close()

    asyncio.run(poll())


def batch(structure_id: str, prefix: str, size: int) -> bytes:
    return orjson.dumps(
        [mission_body(structure_id, external_ref=f"{prefix}-{i:05d}") for i in range(size)]
    )


def missions_with_prefix(server: EmbeddedPostgres, prefix: str) -> int:
    return int(
        query(server, "SELECT count(*) FROM missions WHERE external_ref LIKE $1", f"{prefix}-%")
    )


def wait_until_serving(server: RunningServer, timeout: float = 20) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            response = httpx.get(
                f"{server.base_url}/v1/keys/me", headers=bearer(server.admin_secret), timeout=5
            )
            if response.status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError("jalon did not serve again")


def test_postgres_stopped_during_a_bulk_import_leaves_nothing_half_written(
    own_postgres: EmbeddedPostgres, jalon: RunningServer
) -> None:
    key, structure_id = company_key_and_structure(jalon)
    size, outcomes = 10_000, []
    for attempt in range(3):  # the stop may land after the commit: then try again
        prefix = f"STOP{attempt}"
        with ThreadPoolExecutor(1) as pool:
            sent: Future[httpx.Response] = pool.submit(
                httpx.post,
                f"{jalon.base_url}/v1/missions/bulk",
                headers=key | {"Content-Type": "application/json"},
                content=batch(structure_id, prefix, size),
                timeout=120,
            )
            wait_for_an_uncommitted_write(own_postgres)
            own_postgres.stop(mode="immediate")
            response = sent.result()
        own_postgres.ensure_running()
        recovered_in = wait_until_serving(jalon)
        stored = missions_with_prefix(own_postgres, prefix)
        outcomes.append((response.status_code, stored))
        if response.status_code == 503:
            assert response.headers["retry-after"] == "2"
            assert response.headers["content-type"] == "application/problem+json"
            assert stored == 0, "half-written"
            break
        assert response.status_code == 200, response.text
        assert stored == size, "the import was answered but not all of it is there"
    assert outcomes[-1][0] == 503, outcomes
    record(
        "postgres stopped during a bulk import",
        items=size,
        attempts=len(outcomes),
        status=outcomes[-1][0],
        records_half_written=outcomes[-1][1],
        recovered_in_s=round(recovered_in, 2),
    )


def test_a_statement_over_the_timeout_is_a_503_and_the_pools_stay_usable(
    own_postgres: EmbeddedPostgres, jalon: RunningServer
) -> None:
    admin = bearer(jalon.admin_secret)
    structure = httpx.get(f"{jalon.base_url}/v1/structures?limit=1", headers=admin).json()
    one = f"/v1/structures/{structure['items'][0]['id']}"  # the hot paths' pool
    paths = (one, "/v1/structures?limit=5")  # and the ORM's

    async def blocked() -> list[tuple[int, float, str]]:
        holder = await asyncpg.connect(dsn(own_postgres))
        try:
            async with holder.transaction():
                await holder.execute("LOCK TABLE structures IN ACCESS EXCLUSIVE MODE")
                async with httpx.AsyncClient(base_url=jalon.base_url, timeout=30) as client:
                    started = time.monotonic()
                    answers = await asyncio.gather(
                        *(client.get(path, headers=admin) for path in paths * 6)
                    )
                    elapsed = time.monotonic() - started
                return [
                    (a.status_code, elapsed, a.headers.get("content-type", "")) for a in answers
                ]
        finally:
            await holder.close()

    answers = asyncio.run(blocked())
    assert {status for status, _, _ in answers} == {503}, answers
    assert all(media == "application/problem+json" for _, _, media in answers)
    elapsed = answers[0][1]
    assert elapsed < STATEMENT_TIMEOUT_MS / 1000 * 3 + 3

    async def afterwards() -> list[int]:
        async with httpx.AsyncClient(base_url=jalon.base_url, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.get(path, headers=admin) for path in paths * 20)
            )
        return [answer.status_code for answer in answers]

    after = asyncio.run(afterwards())
    assert set(after) == {200}, after
    record(
        "statement over the timeout",
        timeout_ms=STATEMENT_TIMEOUT_MS,
        requests_cancelled=len(answers),
        answered_503_in_s=round(elapsed, 2),
        requests_after=len(after),
        failed_after=sum(status != 200 for status in after),
    )


def test_a_storm_of_500_clients_gets_answers_and_jalon_stays_up(
    jalon: RunningServer,
) -> None:
    admin = bearer(jalon.admin_secret)
    company, _ = company_key_and_structure(jalon)
    clients = 500

    async def storm() -> list[int | str]:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=jalon.base_url, timeout=60, limits=limits) as c:

            async def one(index: int) -> int | str:
                path, key = (
                    ("/v1/parcours?limit=20", admin),
                    ("/v1/keys?limit=5", admin),
                    ("/v1/missions?limit=20", company),  # over its budget: 429s
                )[index % 3]
                try:
                    return (await c.get(path, headers=key)).status_code
                except httpx.TransportError as error:
                    return type(error).__name__

            return await asyncio.gather(*(one(i) for i in range(clients)))

    started = time.monotonic()
    outcomes = asyncio.run(storm())
    lasted = time.monotonic() - started
    assert jalon.process.poll() is None, "jalon died"
    unexpected = [o for o in outcomes if o not in (200, 429, 503)]
    assert not unexpected, unexpected[:10]
    recovered_in = wait_until_serving(jalon, timeout=10)
    assert outcomes.count(429) > 0, "the company key's budget was not enforced"
    record(
        "connection storm",
        clients=clients,
        ok=outcomes.count(200),
        rate_limited=outcomes.count(429),
        unavailable=outcomes.count(503),
        other=len(unexpected),
        storm_s=round(lasted, 2),
        serving_again_in_s=round(recovered_in, 2),
    )


def test_sigterm_under_load_finishes_what_is_in_flight_and_refuses_the_rest(
    own_postgres: EmbeddedPostgres,
) -> None:
    with jalon_server(own_postgres.url("jalon"), **SERVER_SETTINGS) as server:
        key, structure_id = company_key_and_structure(server)
        size, in_flight = 2_000, 4
        with ThreadPoolExecutor(in_flight) as pool:
            sent = [
                pool.submit(
                    httpx.post,
                    f"{server.base_url}/v1/missions/bulk",
                    headers=key | {"Content-Type": "application/json"},
                    content=batch(structure_id, f"TERM{n}", size),
                    timeout=120,
                )
                for n in range(in_flight)
            ]
            wait_for_an_uncommitted_write(own_postgres)
            server.process.send_signal(signal.SIGTERM)
            # until the listener closes, a connection already accepted is served whole;
            # after, connecting is refused, and one still queued in the kernel when the
            # listener closed is reset before any byte of it is read: the client retries
            # either way, nothing was processed.
            refused = served_late = 0
            while server.process.poll() is None and refused < 3:
                try:
                    late = httpx.get(f"{server.base_url}/healthz", timeout=5)
                    assert late.status_code in (200, 503), late.text
                    served_late += 1
                except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
                    refused += 1
                time.sleep(0.05)
            answers = [future.result() for future in sent]
        exit_code = server.process.wait(timeout=40)
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * in_flight, [a.text[:200] for a in answers]
    stored = [missions_with_prefix(own_postgres, f"TERM{n}") for n in range(in_flight)]
    assert stored == [size] * in_flight
    assert refused >= 1
    record(
        "SIGTERM under load",
        requests_in_flight=in_flight,
        completed=statuses.count(200),
        records_lost=in_flight * size - sum(stored),
        new_connections_refused=refused,
        queued_before_close_and_served=served_late,
        exit_code=exit_code,
    )
