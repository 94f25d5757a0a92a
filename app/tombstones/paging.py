"""A synced list's page: its records and its tombstones merged in one keyset order.

Both are read after the same cursor, a page's worth each, and merged by (time, id):
the page keeps the first ``limit`` entries, and the next cursor is the key of the
last one kept. A record updated in the instant it left a view (a salarié
pseudonymised) shares its tombstone's key: the two stay on one page, or the next
page, reading strictly after that key, would miss the second.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from app.auth import Caller
from app.db import Database
from app.pagination import PageRequest
from app.tombstones import repository
from app.tombstones.models import SyncedResource
from app.tombstones.schemas import SyncPage, TombstoneRead

RowT = TypeVar("RowT")
Key = tuple[Any, ...]


async def tombstones(
    database: Database,
    caller: Caller,
    resource: SyncedResource,
    updated_since: dt.datetime | None,
    page: PageRequest,
    list_name: str,
) -> list[dict[str, Any]]:
    """The tombstones for one page of a list (none without ``updated_since``)."""
    if updated_since is None:
        return []
    return await repository.since(
        database, caller, resource, updated_since, after=page.after(list_name), limit=page.limit
    )


def merge(
    rows: Sequence[RowT],
    gone: Sequence[dict[str, Any]],
    limit: int,
    key_of: Callable[[RowT], Key],
) -> tuple[list[RowT], list[dict[str, Any]], Key | None]:
    """The rows and tombstones of the page, and the key after which the next page
    starts (None on the last page). Each input holds up to ``limit + 1`` entries."""
    entries: list[tuple[Key, int, Any]] = [(_sortable(key_of(row)), 0, row) for row in rows]
    entries += [(_sortable((tomb["deleted_at"], tomb["id"])), 1, tomb) for tomb in gone]
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    end = min(limit, len(entries))
    while end < len(entries) and entries[end][0] == entries[end - 1][0]:
        end += 1
    kept = entries[:end]
    next_key = kept[-1][0] if end < len(entries) else None
    return (
        [row for _, source, row in kept if source == 0],
        [tomb for _, source, tomb in kept if source == 1],
        next_key,
    )


def _sortable(key: Key) -> Key:
    """UUIDs as text (the pool decodes them so, the ORM does not): the canonical text's
    order is PostgreSQL's byte order."""
    return tuple(str(part) if isinstance(part, uuid.UUID) else part for part in key)


def sync_page(
    rows: Sequence[RowT],
    gone: Sequence[dict[str, Any]],
    page: PageRequest,
    list_name: str,
    key_of: Callable[[RowT], Key],
) -> SyncPage[RowT]:
    items, deleted, next_key = merge(rows, gone, page.limit, key_of)
    return SyncPage[RowT](
        items=items,
        deleted=[TombstoneRead.model_validate(tomb) for tomb in deleted],
        next_cursor=None if next_key is None else page.codec.encode(list_name, next_key),
    )


def sync_page_of(
    rows: Sequence[dict[str, Any]],
    gone: Sequence[dict[str, Any]],
    page: PageRequest,
    list_name: str,
    sort_key: Sequence[str],
) -> dict[str, Any]:
    """A page as :class:`SyncPage` serialises it, from rows of a compiled list."""
    items, deleted, next_key = merge(
        rows, gone, page.limit, lambda row: tuple(row[n] for n in sort_key)
    )
    return {
        "items": items,
        "deleted": deleted,
        "next_cursor": None if next_key is None else page.codec.encode(list_name, next_key),
    }
