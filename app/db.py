"""Declarative base, engine and the one-transaction-per-request session."""

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

import asyncpg
import orjson
from fastapi import Depends, Request, Response
from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Computed,
    DateTime,
    Enum,
    MetaData,
    func,
    or_,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.embedded import EmbeddedPostgres, ensure_database
from app.errors import Problem
from app.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
    "fk": "fk_%(table_name)s__%(column_0_N_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: DateTime(timezone=True)}


uuid_pk = Annotated[uuid.UUID, mapped_column(primary_key=True, default=uuid.uuid4)]
created_at = Annotated[dt.datetime, mapped_column(server_default=func.now())]


RecordT = TypeVar("RecordT", bound=Base)


async def insert_record(
    session: AsyncSession, record: RecordT, *, read_back: bool = True
) -> RecordT:
    """Inserts ``record`` and reads back what PostgreSQL filled in (defaults, computed
    columns), unless the answer is read through the resource's projection."""
    session.add(record)
    await session.flush()
    if read_back:
        await session.refresh(record)
    return record


class Versioned:
    """A record that changes: when, and a version that is its ETag."""

    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(server_default="1")


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, in the session's transaction: the
    statements compiled once (:mod:`app.sql`) run on it as on a connection of the pool,
    so that a write through a session and one on the pool share their SQL."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    return driver


async def save_changes(
    session: AsyncSession,
    record: Versioned,
    changes: Mapping[str, object],
    *,
    read_back: bool = True,
) -> None:
    """Applies ``changes`` as a new version of ``record`` (locked by the caller), and
    reads it back unless the answer is read through the resource's projection."""
    for name, value in changes.items():
        setattr(record, name, value)
    record.version += 1
    record.updated_at = func.now()
    await session.flush()
    if read_back:
        await session.refresh(record)


def guards(field: str, detail: str) -> dict[str, str]:
    """The ``info`` of a CHECK constraint a client's values can break: the field it is
    answered on (a 422 with that pointer) and what the field must be."""
    return {"field": field, "detail": detail}


def internal(why: str) -> dict[str, str]:
    """The ``info`` of a CHECK constraint no client's values can break, and why."""
    return {"internal": why}


def hours_of_a_month() -> tuple[CheckConstraint, CheckConstraint]:
    """The checks of a table of hours by month (a contract's, a mission's): 0 or more,
    the month held as its first day."""
    return (
        CheckConstraint("hours >= 0", name="hours_not_negative", info=guards("hours", "0 or more")),
        CheckConstraint(
            "extract(day from month) = 1",
            name="first_of_month",
            info=internal("the month comes from a YYYY-MM path"),
        ),
    )


def field_guards(metadata: MetaData) -> dict[str, tuple[str, str]]:
    """(field, what it must be) of each client-facing CHECK constraint, by its name in
    PostgreSQL."""
    found = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and "field" in constraint.info:
                # the naming convention has given it its full name by now
                found[str(constraint.name)] = (constraint.info["field"], constraint.info["detail"])
    return found


def text_enum(kind: type[StrEnum], name: str, *, length: int = 40) -> Enum:
    """An enumeration stored as text under a CHECK constraint, by member value: adding a
    value is a constraint change, not a PostgreSQL type migration."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=length,
        create_constraint=True,
        values_callable=lambda members: [member.value for member in members],
    )


def siren_of_siret() -> Computed:
    """A SIREN column derived by PostgreSQL from the SIRET beside it."""
    return Computed("substr(siret, 1, 9)", persisted=True)


def substring_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def in_name_or_siret(
    text: str, name: ColumnElement[str] | Mapped[str], siret: ColumnElement[str] | Mapped[str]
) -> ColumnElement[bool]:
    """Whether ``text`` is in the name (whatever its case) or in the SIRET: the search
    of the registry's lists."""
    pattern = substring_pattern(text)
    return or_(name.ilike(pattern), siret.like(pattern))


EMBEDDED_DATABASE = "jalon"


async def database_url(settings: Settings) -> str:
    """The server of JALON_DATABASE_URL, or the embedded one, started if need be."""
    if settings.sqlalchemy_url is not None:
        return settings.sqlalchemy_url
    server = EmbeddedPostgres(settings.data_dir)
    await asyncio.to_thread(server.ensure_running)
    await ensure_database(server, EMBEDDED_DATABASE)
    return server.url(EMBEDDED_DATABASE)


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """A fixed pool that fails fast: a request waits at most pool_timeout for a
    connection and connect_timeout for PostgreSQL to answer, then gets a 503."""
    return create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=settings.pool_timeout_seconds,
        pool_recycle=3600,
        connect_args={
            "timeout": settings.connect_timeout_seconds,
            "command_timeout": settings.statement_timeout_ms / 1000 + 1,
            "server_settings": {
                "statement_timeout": str(settings.statement_timeout_ms),
                "application_name": "jalon",
            },
        },
    )


async def create_pool(url: str, settings: Settings) -> asyncpg.Pool:
    """The hot paths' connections: a fixed pool with the engine's timeouts, which
    rolls back what a connection left open instead of asyncpg's full reset (a round
    trip on every release)."""
    return await asyncpg.create_pool(
        "postgresql://" + url.partition("://")[2],
        min_size=settings.direct_pool_size,
        max_size=settings.direct_pool_size,
        timeout=settings.connect_timeout_seconds,
        command_timeout=settings.statement_timeout_ms / 1000 + 1,
        server_settings={
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "jalon",
        },
        reset=_roll_back_open_transaction,
        init=_set_codecs,
    )


async def _set_codecs(connection: asyncpg.Connection) -> None:
    # the hot paths write UUIDs straight into JSON: text as PostgreSQL sends it, rather
    # than a UUID object per value that the JSON writer then turns back into text
    await connection.set_type_codec(
        "uuid", schema="pg_catalog", encoder=str, decoder=str, format="text"
    )
    # JSONB as Python values, as SQLAlchemy's connections give it (binary: a version byte)
    await connection.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda value: b"\x01" + orjson.dumps(value),
        decoder=lambda data: orjson.loads(data[1:]),
        format="binary",
    )


async def _roll_back_open_transaction(connection: asyncpg.Connection) -> None:
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


Connections = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]


@dataclass(frozen=True)
class Database:
    """What the app talks to PostgreSQL through; made in the lifespan, kept on app.state:
    ORM sessions, and asyncpg connections for the hot paths (:mod:`app.sql`)."""

    sessions: async_sessionmaker[AsyncSession]
    connection: Connections

    @classmethod
    def from_engine(cls, engine: AsyncEngine, pool: asyncpg.Pool, timeout: float) -> "Database":
        return cls(
            async_sessionmaker(engine, expire_on_commit=False),
            lambda: PooledConnection(pool, timeout),
        )

    @classmethod
    def bound_to(cls, connection: AsyncConnection) -> "Database":
        """Sessions that nest in an outer transaction (tests roll it back), and the
        hot paths on that transaction's own connection."""
        sessions = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

        @asynccontextmanager
        async def same_connection() -> AsyncIterator[asyncpg.Connection]:
            raw = await connection.get_raw_connection()
            driver: asyncpg.Connection = raw.driver_connection
            # a savepoint: a statement refused on the hot path leaves the outer
            # transaction usable, as a refusal on a connection of the pool leaves others
            async with driver.transaction():
                yield driver

        return cls(sessions, same_connection)


class PooledConnection:
    """A connection of the hot paths' pool for the length of an ``async with``; waiting
    for one longer than ``timeout`` raises :class:`PoolTimeoutError` (a 503).

    A class rather than an ``asynccontextmanager``, and a deadline armed only when no
    connection is idle: on a read of one statement, the generator and the timer of every
    acquisition cost about as much as the statement's own round trip in Python."""

    __slots__ = ("_connection", "_pool", "_timeout")

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout
        self._connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        if self._pool.get_idle_size() > 0:
            # an idle connection is in the pool's queue: acquiring it does not wait
            self._connection = await self._pool.acquire()
            return self._connection
        try:
            # asyncio.timeout rather than acquire(timeout=): no task per acquisition
            async with asyncio.timeout(self._timeout):
                self._connection = await self._pool.acquire()
        except TimeoutError:
            raise PoolTimeoutError("no connection of the pool came free in time") from None
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._pool.release(connection)


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# what runs in a request's transaction once its route has returned, before the commit
# (the audit entry of the write): app.state.before_commit, set by the app factory
BeforeCommit = Callable[[AsyncSession, Request, Response], Awaitable[None]]


async def transaction(request: Request, response: Response) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the route returns, before the
    response is sent; rolled back when anything raises. ``response`` is the one the
    route sets its status and headers on."""
    hooks: Sequence[BeforeCommit] = getattr(request.app.state, "before_commit", ())
    async with get_database(request).sessions() as session:
        refused: Problem | None = None
        async with session.begin():
            try:
                yield session
            except Problem as problem:
                if not problem.keeps_writes:
                    raise
                refused = problem  # committed, then answered; not a write to audit
            else:
                for hook in hooks:
                    await hook(session, request, response)
        if refused is not None:
            raise refused


SessionDep = Annotated[AsyncSession, Depends(transaction, scope="function")]


async def database(request: Request) -> Database:
    return get_database(request)


DatabaseDep = Annotated[Database, Depends(database)]
