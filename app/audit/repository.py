"""Every query on the audit log."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.entry import AuditFacts
from app.audit.models import AuditEntry
from app.pagination import keyset
from app.sql import CompiledQuery

LIST_NAME = "audit"
SORT_KEY = (AuditEntry.id,)

_COLUMNS = ("key_id", "action", "method", "resource", "resource_id", "status", "request_id")
_INSERT = CompiledQuery.of(
    insert(AuditEntry).values({name: bindparam(name) for name in (*_COLUMNS, "fields")})
)


@dataclass(frozen=True)
class AuditFilters:
    key_id: uuid.UUID | None = None
    action: str | None = None
    resource: str | None = None
    resource_id: str | None = None
    request_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def record(
    connection: asyncpg.Connection, facts: AuditFacts, *, key_id: str | None, request_id: str
) -> None:
    await _INSERT.fetch(
        connection,
        key_id=key_id,
        request_id=request_id,
        action=facts.action,
        method=facts.method,
        resource=facts.resource,
        resource_id=facts.resource_id,
        status=facts.status,
        fields=facts.fields,
    )


async def page(
    session: AsyncSession, filters: AuditFilters, *, after: Sequence[object] | None, limit: int
) -> Sequence[AuditEntry]:
    statement = select(AuditEntry)
    for column, value in (
        (AuditEntry.key_id, filters.key_id),
        (AuditEntry.action, filters.action),
        (AuditEntry.resource, filters.resource),
        (AuditEntry.resource_id, filters.resource_id),
        (AuditEntry.request_id, filters.request_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.since is not None:
        statement = statement.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEntry.at < filters.until)
    return (await session.scalars(keyset(statement, SORT_KEY, after, limit))).all()


async def record_all(session: AsyncSession, entries: Sequence[dict[str, object]]) -> None:
    """Entries written in the session's transaction (commands outside the API)."""
    if entries:
        await session.execute(insert(AuditEntry), list(entries))
