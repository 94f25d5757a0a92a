"""Every query on networks, and the one definition of a network's scope."""

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import insert_record, save_changes
from app.networks.models import Network, NetworkMember
from app.pagination import keyset
from app.structures.models import Structure

SORT_KEY = (Network.updated_at, Network.id)


def covers(network_id: uuid.UUID | ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
    """True for the structures in the network's scope today: its members, and every
    structure in one of its régions or départements."""
    member = exists().where(
        NetworkMember.network_id == network_id, NetworkMember.structure_id == Structure.id
    )
    territorial = exists().where(
        Network.id == network_id,
        or_(
            Structure.region_code == Network.region_codes.any_(),
            Structure.departement_code == Network.departement_codes.any_(),
        ),
    )
    return or_(member, territorial)


async def get(session: AsyncSession, network_id: uuid.UUID) -> Network | None:
    return await session.get(Network, network_id)


async def lock(session: AsyncSession, network_id: uuid.UUID) -> Network | None:
    return await session.get(Network, network_id, with_for_update=True, populate_existing=True)


async def page(
    session: AsyncSession, *, only: uuid.UUID | None, after: Sequence[object] | None, limit: int
) -> Sequence[Network]:
    statement = select(Network)
    if only is not None:
        statement = statement.where(Network.id == only)
    return (await session.scalars(keyset(statement, SORT_KEY, after, limit))).all()


async def member_ids(
    session: AsyncSession, network_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    rows = await session.execute(
        select(NetworkMember.network_id, NetworkMember.structure_id)
        .where(NetworkMember.network_id.in_(network_ids))
        .order_by(NetworkMember.joined_at, NetworkMember.structure_id)
    )
    members: dict[uuid.UUID, list[uuid.UUID]] = {network_id: [] for network_id in network_ids}
    for network_id, structure_id in rows:
        members[network_id].append(structure_id)
    return members


async def add(session: AsyncSession, network: Network) -> Network:
    return await insert_record(session, network)


async def save(session: AsyncSession, network: Network, changes: dict[str, object]) -> None:
    await save_changes(session, network, changes)


async def add_members(
    session: AsyncSession, network_id: uuid.UUID, structure_ids: Sequence[uuid.UUID]
) -> None:
    if structure_ids:
        await session.execute(
            insert(NetworkMember)
            .values([{"network_id": network_id, "structure_id": sid} for sid in structure_ids])
            .on_conflict_do_nothing()
        )


async def remove_member(
    session: AsyncSession, network_id: uuid.UUID, structure_id: uuid.UUID
) -> bool:
    result = await session.execute(
        delete(NetworkMember)
        .where(
            and_(NetworkMember.network_id == network_id, NetworkMember.structure_id == structure_id)
        )
        .returning(NetworkMember.structure_id)
    )
    return result.first() is not None


async def by_name(session: AsyncSession, name: str) -> Network | None:
    return await session.scalar(select(Network).where(Network.name == name))
