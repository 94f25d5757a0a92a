"""Requests per key: the token bucket, its headers and its 429."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.keys.models import Role, Scope
from app.main import create_app
from app.ratelimit import RateLimiter
from app.settings import Settings
from tests.support.keys import KeyMaker, bearer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_bursts_then_refills_at_its_pace() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    key = uuid.uuid4()
    verdicts = [limiter.take(key, 60) for _ in range(61)]  # 60 a minute: one a second
    assert all(v is not None and v.allowed for v in verdicts[:60])
    last = verdicts[60]
    assert last is not None
    assert not last.allowed
    assert (last.remaining, last.retry_after_seconds, last.reset_seconds) == (0, 1, 60)
    assert not limiter.can_take(key, 60)
    clock.now += 1.0
    assert limiter.can_take(key, 60)
    again = limiter.take(key, 60)
    assert again is not None
    assert again.allowed
    clock.now += 3600
    full = limiter.take(key, 60)
    assert full is not None
    assert full.remaining == 59  # never more than the budget


def test_keys_have_their_own_buckets_and_a_budget_of_0_is_no_limit() -> None:
    limiter = RateLimiter(max_keys=2)
    first, second = uuid.uuid4(), uuid.uuid4()
    assert limiter.take(first, 1).allowed  # type: ignore[union-attr]
    assert not limiter.take(first, 1).allowed  # type: ignore[union-attr]
    assert limiter.take(second, 1).allowed  # type: ignore[union-attr]
    assert limiter.take(uuid.uuid4(), 0) is None  # 0: no limit
    assert limiter.can_take(first, 0)
    limiter.take(uuid.uuid4(), 1)
    assert len(limiter._buckets) == 2  # the least recently seen key was forgotten


def test_the_settings_complete_and_check_the_budgets() -> None:
    settings = Settings(rate_limit_per_minute={"company": 30})
    assert settings.rate_limit_per_minute == {
        "admin": 1200,
        "structure": 600,
        "company": 30,
        "network": 600,
    }
    with pytest.raises(ValueError, match="no role robot"):
        Settings(rate_limit_per_minute={"robot": 1})
    with pytest.raises(ValueError, match="0 \\(none\\) or more"):
        Settings(rate_limit_per_minute={"company": -1})


@pytest.fixture
def limited_app(settings: Settings, connection: AsyncConnection) -> FastAPI:
    limited = settings.model_copy(update={"rate_limit_per_minute": {"structure": 3}})
    return create_app(limited, database=Database.bound_to(connection))


async def test_a_key_over_its_budget_gets_429_with_the_headers(
    limited_app: FastAPI, make_key: KeyMaker
) -> None:
    own = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=uuid.uuid4())
    )
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        answers = [await client.get("/v1/parcours", headers=own) for _ in range(4)]
        refused_post = await client.post(
            "/v1/missions", headers={**own, "Idempotency-Key": "retry-me"}, json={}
        )
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["ratelimit-remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert {answer.headers["ratelimit-limit"] for answer in answers} == {"3"}
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert int(refused.headers["ratelimit-reset"]) >= 1
    assert refused_post.status_code == 429  # refused before the idempotency record is kept
