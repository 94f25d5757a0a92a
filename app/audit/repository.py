"""Every query on the audit log."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Query
from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.entry import AuditFacts
from app.audit.models import AuditEntry
from app.pagination import keyset
from app.reference.schemas import Instant
from app.sql import CompiledQuery, Where, filtered

LIST_NAME = "audit"
SORT_KEY = (AuditEntry.id,)

_COLUMNS = ("key_id", "action", "method", "resource", "resource_id", "status", "request_id")
_INSERT = CompiledQuery.of(
    insert(AuditEntry).values({name: bindparam(name) for name in (*_COLUMNS, "fields")})
)


@dataclass(frozen=True)
class AuditQuery:
    """The filters of GET /v1/audit, from their query parameters to their SQL."""

    key_id: Annotated[
        uuid.UUID | None,
        Query(description="Writes of one key"),
        Where(lambda v: AuditEntry.key_id == v),
    ] = None
    action: Annotated[
        str | None,
        Query(max_length=80, description="An operation id, e.g. update_salarie"),
        Where(lambda v: AuditEntry.action == v),
    ] = None
    resource: Annotated[
        str | None,
        Query(max_length=40, description="e.g. salaries, missions"),
        Where(lambda v: AuditEntry.resource == v),
    ] = None
    resource_id: Annotated[
        str | None,
        Query(max_length=200, description="One record"),
        Where(lambda v: AuditEntry.resource_id == v),
    ] = None
    request_id: Annotated[
        str | None, Query(max_length=128), Where(lambda v: AuditEntry.request_id == v)
    ] = None
    since: Annotated[
        Instant | None, Query(description="At or after"), Where(lambda v: AuditEntry.at >= v)
    ] = None
    until: Annotated[
        Instant | None, Query(description="Before"), Where(lambda v: AuditEntry.at < v)
    ] = None


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
    session: AsyncSession, query: AuditQuery, *, after: Sequence[object] | None, limit: int
) -> Sequence[AuditEntry]:
    statement = filtered(select(AuditEntry), query)
    return (await session.scalars(keyset(statement, SORT_KEY, after, limit))).all()


async def record_all(session: AsyncSession, entries: Sequence[dict[str, object]]) -> None:
    """Entries written in the session's transaction (commands outside the API)."""
    if entries:
        await session.execute(insert(AuditEntry), list(entries))
