"""Every query on idempotency records. Each runs in its own short transaction: a claim
must be visible to a concurrent retry at once."""

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.idempotency.models import IdempotencyRecord


async def claim(
    sessions: async_sessionmaker[AsyncSession], caller: bytes, key: str, *, max_age: dt.timedelta
) -> IdempotencyRecord | None:
    """Claims the key; None when this call claimed it, else the record found."""
    async with sessions() as session, session.begin():
        now = dt.datetime.now(dt.UTC)
        # the caller's expired keys go as it makes new ones: the table stays bounded
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.created_at < now - max_age
            )
        )
        claimed = await session.scalar(
            insert(IdempotencyRecord)
            .values(caller=caller, key=key)
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.key)
        )
        if claimed is not None:
            return None
        return await find(session, caller, key)


async def find(session: AsyncSession, caller: bytes, key: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
    )
    return await session.scalar(statement.execution_options(populate_existing=True))


async def lookup(
    sessions: async_sessionmaker[AsyncSession], caller: bytes, key: str
) -> IdempotencyRecord | None:
    async with sessions() as session, session.begin():
        return await find(session, caller, key)


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    caller: bytes,
    key: str,
    *,
    request_hash: bytes,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.caller == caller, IdempotencyRecord.key == key)
            .values(
                request_hash=request_hash,
                status=status,
                headers=headers,
                body=body,
                completed_at=dt.datetime.now(dt.UTC),
            )
        )


async def release(sessions: async_sessionmaker[AsyncSession], caller: bytes, key: str) -> None:
    """Forgets a claim whose request failed, so that a retry runs it again."""
    async with sessions() as session, session.begin():
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
            )
        )
