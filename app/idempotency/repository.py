"""Every query on idempotency records. A claim, a completion and a release each run in
a short transaction of their own: a claim must be visible to a concurrent retry at once.
"""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.idempotency.models import IdempotencyRecord


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    key_id: uuid.UUID,
    key: str,
    fingerprint: bytes,
    *,
    max_age: dt.timedelta,
) -> IdempotencyRecord | None:
    """Claims the key; None when this call claimed it, else the live record found. An
    expired record is no record: it goes, and the key is claimed anew."""
    async with sessions() as session, session.begin():
        expired_before = dt.datetime.now(dt.UTC) - max_age
        # the caller's expired keys go as it makes new ones; `jalon purge` takes the rest
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.key_id == key_id, IdempotencyRecord.created_at < expired_before
            )
        )
        claimed = await session.scalar(
            insert(IdempotencyRecord)
            .values(key_id=key_id, key=key, fingerprint=fingerprint)
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.key)
        )
        if claimed is not None:
            return None
        return await _find(session, key_id, key)


async def lookup(
    sessions: async_sessionmaker[AsyncSession], key_id: uuid.UUID, key: str
) -> IdempotencyRecord | None:
    async with sessions() as session, session.begin():
        return await _find(session, key_id, key)


async def _find(session: AsyncSession, key_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.key_id == key_id, IdempotencyRecord.key == key
    )
    return await session.scalar(statement.execution_options(populate_existing=True))


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    key_id: uuid.UUID,
    key: str,
    *,
    status: int,
    headers: dict[str, str] | None,
    body: bytes | None,
    secret_shown: bool,
    salarie_id: uuid.UUID | None,
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key_id == key_id, IdempotencyRecord.key == key)
            .values(
                status=status,
                headers=headers,
                body=body,
                secret_shown=secret_shown,
                salarie_id=salarie_id,
                completed_at=dt.datetime.now(dt.UTC),
            )
        )


async def release(sessions: async_sessionmaker[AsyncSession], key_id: uuid.UUID, key: str) -> None:
    """Forgets a claim whose request failed, so that a retry runs it again."""
    async with sessions() as session, session.begin():
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.key_id == key_id, IdempotencyRecord.key == key
            )
        )


async def forget_about(session: AsyncSession, salarie_ids: Sequence[uuid.UUID]) -> None:
    """Pseudonymisation: the kept answers about these salariés go. The claims stay, so
    that a retry is told the answer is gone rather than run a second time."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.salarie_id.in_(salarie_ids))
        .values(body=None, headers=None)
    )


async def forget_expired(session: AsyncSession, *, max_age: dt.timedelta) -> int:
    """`jalon purge`: every record past its age, whoever made it."""
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.created_at < dt.datetime.now(dt.UTC) - max_age)
        .returning(IdempotencyRecord.key)
    )
    return len(result.all())
