"""Where the tests get PostgreSQL: the server of TEST_DATABASE_URL, or the embedded
one, in a fresh database per run that is dropped at the end."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from app.embedded import EmbeddedPostgres
from app.settings import default_data_dir


def embedded_data_dir() -> Path:
    configured = os.environ.get("JALON_TEST_DATA_DIR")
    if configured:
        return Path(configured)
    default = default_data_dir()
    return default.with_name(default.name + "-test")


def _admin_dsn(url: str) -> str:
    """An asyncpg DSN from a SQLAlchemy URL."""
    return "postgresql://" + url.partition("://")[2]


@contextmanager
def fresh_database() -> Iterator[str]:
    """Yields the SQLAlchemy URL of a new, empty database; drops it afterwards."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    embedded: EmbeddedPostgres | None = None
    started = False
    if server_url:
        base = "postgresql+asyncpg://" + server_url.partition("://")[2]
    else:
        embedded = EmbeddedPostgres(embedded_data_dir())
        started = embedded.ensure_running()
        base = embedded.url()
    name = f"jalon_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(base, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(base, name)
    finally:
        asyncio.run(_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if embedded is not None and started:
            embedded.stop()


def with_database(url: str, name: str) -> str:
    head, _, query = url.partition("?")
    server = head.rsplit("/", 1)[0]
    return f"{server}/{name}" + (f"?{query}" if query else "")


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
