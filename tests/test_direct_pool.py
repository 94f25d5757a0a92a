"""The hot paths' own pool: fixed, fail-fast, and decoding what the JSON writer wants."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import Database, create_pool
from app.settings import Settings
from app.sql import CompiledQuery


@pytest.fixture
async def pool(settings: Settings, engine: AsyncEngine) -> AsyncIterator[asyncpg.Pool]:
    """A direct pool of one connection."""
    one = settings.model_copy(update={"direct_pool_size": 1})
    pool = await create_pool(engine.url.render_as_string(hide_password=False), one)
    yield pool
    await pool.close()


async def test_a_busy_pool_fails_fast(pool: asyncpg.Pool, engine: AsyncEngine) -> None:
    database = Database.from_engine(engine, pool, timeout=0.1)
    async with database.connection() as held:
        assert await held.fetchval("SELECT 1") == 1
        with pytest.raises(PoolTimeoutError):
            async with database.connection():
                pass
    async with database.connection() as again:  # released: usable again
        assert await again.fetchval("SELECT 2") == 2


async def test_a_connection_left_in_a_transaction_comes_back_clean(
    pool: asyncpg.Pool, engine: AsyncEngine
) -> None:
    database = Database.from_engine(engine, pool, timeout=1)
    async with database.connection() as connection:
        await connection.execute("BEGIN")
    async with database.connection() as connection:
        assert not connection.is_in_transaction()


async def test_uuids_come_as_text_and_jsonb_as_values(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        value = uuid.uuid4()
        row = await connection.fetchrow(
            "SELECT $1::uuid AS id, '[{\"a\": 1}]'::jsonb AS doc", value
        )
    assert row["id"] == str(value)
    assert row["doc"] == [{"a": 1}]


def test_a_compiled_query_wants_every_parameter() -> None:
    query = CompiledQuery("SELECT $1, $2", ("a", "b"))
    assert query.arguments({"b": 2, "a": 1, "c": 3}) == [1, 2]
    with pytest.raises(ValueError, match="'b'"):
        query.arguments({"a": 1})
