"""Core statements compiled once, sent to asyncpg directly: the hot paths' SQL.

Through the ORM session, a request here pays a pool checkout (~120 µs on this
hardware), BEGIN and COMMIT round trips, a compile-cache lookup and ORM object
loading: several times the cost of the query itself. A hot path instead builds
its Core statement once per shape (a builder under ``functools.cache``), keeps the
SQL text, and sends it with values by name on a pooled asyncpg connection.

Every value must be a named ``bindparam`` supplied at each call: a value baked in
at compile time would be served to the next caller, so a missing name raises.
"""

import dataclasses
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar, get_type_hints

import asyncpg
from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from app.db import Database
from app.pagination import keyset, keyset_values

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: ClauseElement) -> "CompiledQuery":
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        return cls(compiled.string, tuple(compiled.positiontup or ()))

    def arguments(self, values: Mapping[str, object]) -> list[object]:
        try:
            return [values[name] for name in self.names]
        except KeyError as missing:
            raise ValueError(f"no value for the SQL parameter {missing}") from None

    async def fetch(self, connection: asyncpg.Connection, **values: object) -> list[Any]:
        rows: list[Any] = await connection.fetch(self.sql, *self.arguments(values))
        return rows

    async def fetchrow(self, connection: asyncpg.Connection, **values: object) -> Any | None:
        return await connection.fetchrow(self.sql, *self.arguments(values))

    async def one(self, database: Database, **values: object) -> dict[str, Any] | None:
        """The first row as a dict, on a connection of its own."""
        async with database.connection() as connection:
            row = await self.fetchrow(connection, **values)
        return None if row is None else dict(row)

    async def all(self, database: Database, **values: object) -> list[dict[str, Any]]:
        """Every row as a dict, on a connection of its own."""
        async with database.connection() as connection:
            return as_dicts(await self.fetch(connection, **values))


def as_dicts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


Column = ColumnElement[Any] | QueryableAttribute[Any]
Condition = Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Where:
    """The SQL condition of a list's filter, in the Annotated metadata of the filter's
    field: a list's query model (a dataclass the route takes with ``Depends()``) then
    says each filter once, from its query parameter to its SQL. The condition is given
    the filter's value, a bound parameter where the statement is compiled once."""

    condition: Condition


# read once per model: the session lists ask on every request
_CONDITIONS: dict[type, dict[str, Condition]] = {}


def conditions_of(query: type) -> dict[str, Condition]:
    """Each field's condition; every field of a query model must have one."""
    if query in _CONDITIONS:
        return _CONDITIONS[query]
    hints = get_type_hints(query, include_extras=True)
    conditions = {
        name: meta.condition
        for name, hint in hints.items()
        for meta in getattr(hint, "__metadata__", ())
        if isinstance(meta, Where)
    }
    missing = {field.name for field in dataclasses.fields(query)} - set(conditions)
    if missing:
        raise TypeError(f"{query.__name__}: no Where condition for {sorted(missing)}")
    _CONDITIONS[query] = conditions
    return conditions


def given(query: object) -> dict[str, object]:
    """The filters a query model was given, by field name."""
    assert dataclasses.is_dataclass(query)
    assert not isinstance(query, type)
    values = {field.name: getattr(query, field.name) for field in dataclasses.fields(query)}
    return {name: value for name, value in values.items() if value is not None}


def filtered(statement: Select[Any], query: object) -> Select[Any]:
    """``statement`` with the conditions of the filters ``query`` was given, on their
    values (for lists read through a session rather than compiled once)."""
    conditions = conditions_of(type(query))
    for name, value in given(query).items():
        statement = statement.where(conditions[name](value))
    return statement


class Audience(Protocol):
    """Whom a list is read for (an API caller): its statement is compiled once per
    ``shape`` (the caller's role), for a ``template`` of that shape whose values are
    bind parameters, and runs with each audience's own ``parameters``."""

    @property
    def shape(self) -> Hashable: ...

    def template(self) -> Self: ...

    def parameters(self) -> dict[str, object]: ...


A = TypeVar("A", bound=Audience)


class KeysetList(Generic[A]):
    """A list's query, compiled once per shape: the audience's, which filters are
    given, and whether a cursor is."""

    def __init__(
        self,
        columns: Sequence[Column],
        visible: Callable[[A], ColumnElement[bool]],
        query: type,
        sort_key: Sequence[Column],
    ) -> None:
        self.columns = tuple(columns)
        self.visible = visible
        self.query = query
        self.filters = conditions_of(query)
        self.sort_key = tuple(sort_key)
        self.sort_key_names = tuple(str(column.key) for column in sort_key)
        self._compiled: dict[tuple[Hashable, frozenset[str], bool], CompiledQuery] = {}

    def compiled(
        self, audience: A, given: frozenset[str] = frozenset(), after_cursor: bool = False
    ) -> CompiledQuery:
        """The statement of one shape, as sent to PostgreSQL."""
        key = (audience.shape, given, after_cursor)
        query = self._compiled.get(key)
        if query is None:
            query = self._compiled[key] = self._compile(audience.template(), given, after_cursor)
        return query

    def _compile(self, template: A, given: frozenset[str], after_cursor: bool) -> CompiledQuery:
        statement = select(*self.columns).where(self.visible(template))
        for name in sorted(given):
            statement = statement.where(self.filters[name](bindparam(name)))
        cursor_shape = self.sort_key_names if after_cursor else None
        return CompiledQuery.of(keyset(statement, self.sort_key, cursor_shape, 0))

    async def fetch(
        self,
        database: Database,
        audience: A,
        query: object,
        *,
        after: Sequence[object] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """A page of the list: the rows the audience may see that ``query`` (an instance
        of the list's query model) selects."""
        assert isinstance(query, self.query)
        filters = given(query)
        statement = self.compiled(audience, frozenset(filters), after is not None)
        values = {**audience.parameters(), **filters, **keyset_values(self.sort_key, after, limit)}
        return await statement.all(database, **values)
