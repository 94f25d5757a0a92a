"""Reading tombstones (PostgreSQL writes them: see models.py)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from sqlalchemy import ColumnElement, false, literal_column

from app.auth import Caller, caller_id
from app.db import Database
from app.keys.models import Role
from app.sql import KeysetList, Where
from app.tombstones.models import SyncedResource, Tombstone, TombstoneKind


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """Admin: the deleted and pseudonymised records (it still sees those that moved);
    the others: the tombstones naming their structure, company or network."""
    if caller.role is Role.admin:
        # a constant in the SQL, not a parameter: the statement is compiled once
        return Tombstone.kind != literal_column(f"'{TombstoneKind.removed.value}'")
    if caller.role is Role.structure:
        return Tombstone.structure_id == caller_id(caller, "structure")
    if caller.role is Role.company:
        return Tombstone.company_id == caller_id(caller, "company")
    if caller.role is Role.network:
        return Tombstone.network_id == caller_id(caller, "network")
    return false()


@dataclass(frozen=True)
class TombstoneQuery:
    """The tombstones a synced list answers (not a route's query: the list's own)."""

    resource: Annotated[str, Where(lambda v: Tombstone.resource == v)]
    since: Annotated[dt.datetime, Where(lambda v: Tombstone.deleted_at >= v)]


TOMBSTONES = KeysetList[Caller](
    columns=(Tombstone.record_id.label("id"), Tombstone.kind, Tombstone.deleted_at),
    visible=visible_to,
    query=TombstoneQuery,
    sort_key=(Tombstone.deleted_at, Tombstone.record_id),
)


async def since(
    database: Database,
    caller: Caller,
    resource: SyncedResource,
    since: dt.datetime,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The caller's tombstones of one list from ``since``, in the list's order."""
    return await TOMBSTONES.fetch(
        database, caller, TombstoneQuery(resource.value, since), after=after, limit=limit
    )
