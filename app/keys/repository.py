"""Every query on API keys."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.companies.models import Company
from app.db import insert_record
from app.keys.models import ApiKey, Role
from app.keys.schemas import KeyCreate
from app.networks.models import Network
from app.pagination import keyset
from app.structures.models import Structure

LIST_NAME = "keys"
SORT_KEY = (ApiKey.created_at, ApiKey.id)


async def missing_binding(session: AsyncSession, values: KeyCreate) -> str | None:
    """The binding field (structure_id, company_id, network_id) naming no record."""
    for field, model in (
        ("structure_id", Structure),
        ("company_id", Company),
        ("network_id", Network),
    ):
        bound = getattr(values, field)
        if bound is not None and await session.get(model, bound) is None:
            return field
    return None


async def create(
    session: AsyncSession,
    values: KeyCreate,
    *,
    digest: bytes,
    prefix: str,
    created_by: uuid.UUID | None,
) -> ApiKey:
    key = ApiKey(
        name=values.name,
        role=values.role,
        scopes=[scope.value for scope in values.scopes],
        structure_id=values.structure_id,
        company_id=values.company_id,
        network_id=values.network_id,
        digest=digest,
        prefix=prefix,
        created_by=created_by,
    )
    return await insert_record(session, key)


async def get(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def page(
    session: AsyncSession, *, after: Sequence[object] | None, limit: int, include_revoked: bool
) -> Sequence[ApiKey]:
    statement = select(ApiKey)
    if not include_revoked:
        statement = statement.where(ApiKey.revoked_at.is_(None))
    result = await session.scalars(keyset(statement, SORT_KEY, after, limit))
    return result.all()


async def find_active(session: AsyncSession, digest: bytes) -> ApiKey | None:
    statement = select(ApiKey).where(ApiKey.digest == digest, ApiKey.revoked_at.is_(None))
    return await session.scalar(statement)


async def revoke(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    """Revokes the key (idempotent: a second revocation keeps the first date)."""
    statement = (
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .values(revoked_at=func.coalesce(ApiKey.revoked_at, func.now()))
        .returning(ApiKey)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return await session.scalar(statement)


async def count_command_line_keys_named(session: AsyncSession, name: str, role: Role) -> int:
    """How many live keys of ``role`` called ``name`` no key created (the command line's)."""
    statement = select(func.count()).where(
        ApiKey.name == name,
        ApiKey.role == role,
        ApiKey.created_by.is_(None),
        ApiKey.revoked_at.is_(None),
    )
    return int(await session.scalar(statement) or 0)
