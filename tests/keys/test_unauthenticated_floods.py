"""Made-up tokens cost no database round trip once seen (or at all, when they cannot be a
key), failed authentication is limited per client address with its own budget and
headers, and a flood of them never pushes a real key out of the cache."""

import asyncio
import secrets
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import KeyCache
from app.db import Database
from app.keys import repository
from app.main import create_app
from app.settings import Settings
from tests.support.figures import record
from tests.support.keys import KeyMaker, bearer


def made_up() -> dict[str, str]:
    return bearer(f"jalon_{secrets.token_urlsafe(32)}")


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The key digests looked up in the database."""
    seen: list[bytes] = []
    find_active = repository.find_active

    async def counting(session: Any, key_digest: bytes) -> Any:
        seen.append(key_digest)
        return await find_active(session, key_digest)

    monkeypatch.setattr(repository, "find_active", counting)
    return seen


def guarded_app(settings: Settings, connection: AsyncConnection, failures: int) -> FastAPI:
    return create_app(
        settings.model_copy(update={"auth_failures_per_minute": failures}),
        database=Database.bound_to(connection),
    )


async def test_a_token_that_cannot_be_a_key_is_never_looked_up(
    client: httpx.AsyncClient, lookups: list[bytes]
) -> None:
    for token in ("nope", "jalon_short", "Bearer", "x" * 500, f"jalon_{'.' * 43}"):
        answer = await client.get("/v1/structures", headers=bearer(token))
        assert answer.status_code == 401
    assert lookups == []


async def test_an_unknown_token_is_looked_up_once(
    client: httpx.AsyncClient, lookups: list[bytes]
) -> None:
    token = made_up()
    answers = [await client.get("/v1/structures", headers=token) for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert len(lookups) == 1


async def test_failed_authentication_has_its_budget_per_address_and_then_no_lookup(
    settings: Settings, connection: AsyncConnection, lookups: list[bytes], make_key: KeyMaker
) -> None:
    real = bearer(await make_key())
    app = guarded_app(settings, connection, failures=5)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4000))
    other = httpx.ASGITransport(app=app, client=("198.51.100.1", 4000))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client,
        httpx.AsyncClient(transport=other, base_url="http://jalon.test") as neighbour,
    ):
        assert (await client.get("/v1/structures", headers=real)).status_code == 200
        answers = [await client.get("/v1/structures", headers=made_up()) for _ in range(8)]
        anonymous = await client.get("/v1/structures")
        still_real = await client.get("/v1/structures", headers=real)  # cached: no lookup
        elsewhere = await neighbour.get("/v1/structures", headers=made_up())
    record(
        "failed authentication per address",
        made_up_tokens=8,
        budget=5,
        answered_401=sum(a.status_code == 401 for a in answers),
        answered_429=sum(a.status_code == 429 for a in answers),
        database_lookups_for_them=len(lookups) - 2,
    )
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["4", "3", "2", "1", "0"] + [
        "0"
    ] * 3
    assert {a.headers["ratelimit-limit"] for a in answers} == {"5"}
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers[5:])
    assert answers[5].json()["type"].endswith("/too-many-requests")
    assert anonymous.status_code == 429
    assert len(lookups) == 1 + 5 + 1  # the real key once, 5 failures, the neighbour
    assert still_real.status_code == 200
    assert elsewhere.status_code == 401  # another address has its own budget


async def test_every_401_carries_the_rate_limit_headers(client: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("nope"), made_up()):
        answer = await client.get("/v1/missions", headers=headers)
        assert answer.status_code == 401
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(answer.headers)


async def test_a_real_key_is_looked_up_again_when_its_entry_expires_amid_a_flood(
    settings: Settings, connection: AsyncConnection, make_key: KeyMaker, lookups: list[bytes]
) -> None:
    real = bearer(await make_key())
    app = create_app(
        settings.model_copy(update={"auth_failures_per_minute": 2, "key_cache_ttl_seconds": 0.05}),
        database=Database.bound_to(connection),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        assert (await client.get("/v1/structures", headers=real)).status_code == 200
        flood = [await client.get("/v1/structures", headers=made_up()) for _ in range(4)]
        await asyncio.sleep(0.1)  # the real key's entry has expired
        again = await client.get("/v1/structures", headers=real)
    assert [a.status_code for a in flood] == [401, 401, 429, 429]
    assert again.status_code == 200  # looked up again, although the address is out
    assert len(lookups) == 1 + 2 + 1


def test_a_flood_of_unknown_digests_never_evicts_a_real_key() -> None:
    cache = KeyCache(ttl_seconds=30, max_entries=2, max_unknown=100)
    real = object()
    cache.put(b"real", real)  # type: ignore[arg-type]
    for n in range(1_000):
        cache.put(n.to_bytes(4, "big"), None)
    assert cache.get(b"real") == (True, real)
    assert cache.get((999).to_bytes(4, "big")) == (True, None)
    assert cache.get((0).to_bytes(4, "big")) == (False, None)  # the oldest unknown went


async def test_an_address_past_its_failures_waits_for_its_429(
    settings: Settings, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)  # the pause, and nothing else sleeps here
    app = create_app(
        settings.model_copy(
            update={"auth_failures_per_minute": 2, "auth_failure_pause_seconds": 1.5}
        ),
        database=Database.bound_to(connection),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        answers = [await client.get("/v1/structures", headers=made_up()) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 429, 429]
    assert len(pauses) == 2
    assert all(0.75 <= pause <= 2.25 for pause in pauses)  # 1.5 s, jittered by half
