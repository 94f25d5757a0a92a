"""Where the tests get PostgreSQL: the server of TEST_DATABASE_URL, or the embedded
one, in a fresh database per run that is dropped at the end."""

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from app.embedded import EmbeddedPostgres, ensure_database
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


@contextmanager
def owned_postgres(prefix: str) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of the test's own, with a database ``jalon``, that the test
    may stop and start; removed at the end."""
    parent = embedded_data_dir().absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix=f"jalon-{prefix}-", dir=parent)))
    server.ensure_running()
    asyncio.run(ensure_database(server, "jalon"))
    try:
        yield server
    finally:
        server.stop(mode="immediate")
        shutil.rmtree(server.data_dir, ignore_errors=True)


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
