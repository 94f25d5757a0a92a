from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db import Database
from app.keys.models import Role, Scope
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from tests.support.databases import fresh_database
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that the test's end rolls back."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with Database.bound_to(connection).sessions() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        nir_hash_key="test-nir-key",
        log_format="text",
        webhooks_dispatch=False,  # the webhook tests run the dispatcher themselves
        webhook_allowed_networks=["127.0.0.0/8"],
        auth_failure_pause_seconds=0,  # tests of the pause set their own
    )


@pytest.fixture
def app(settings: Settings, connection: AsyncConnection) -> FastAPI:
    return create_app(settings, database=Database.bound_to(connection))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        yield client


@pytest.fixture
def make_key(session: AsyncSession) -> KeyMaker:
    return KeyMaker(session)


@pytest.fixture
async def admin_headers(make_key: KeyMaker) -> dict[str, str]:
    return bearer(await make_key())


@pytest.fixture
async def live_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app as it runs in production: its own pools, each request its own
    transaction, committed. For tests of what failures leave behind."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def live_client(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        yield client


@pytest.fixture
async def make_live_key(engine: AsyncEngine) -> AsyncIterator[KeyMaker]:
    """Keys committed for real, for :func:`live_app`."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield KeyMaker(session)


@pytest.fixture
async def structure(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    """An ACI, made through the API."""
    return await create_structure(client, admin_headers)


@pytest.fixture
async def own(make_key: KeyMaker, structure: dict[str, Any]) -> dict[str, str]:
    """The read-write key of :func:`structure`."""
    return bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
    )
