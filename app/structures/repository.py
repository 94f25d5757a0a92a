"""Every query on structures, their antennes, SIRET history and annexes."""

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Uuid,
    any_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, caller_id
from app.db import Database, insert_record, save_changes, substring_pattern
from app.keys.models import Role
from app.networks import repository as networks
from app.pagination import keyset
from app.reference.enums import ActivitySector, StructureKind
from app.sql import CompiledQuery
from app.structures.models import (
    Annexe,
    Antenne,
    SiretRecord,
    Structure,
    partners_of_company,
)

SORT_KEY = (Structure.updated_at, Structure.id)


@dataclass(frozen=True)
class StructureFilters:
    kind: StructureKind | None = None
    region_code: str | None = None
    departement_code: str | None = None
    sector: ActivitySector | None = None
    network_id: uuid.UUID | None = None
    text: str | None = None
    siret: str | None = None
    updated_since: dt.datetime | None = None


def visible_to(caller: Caller, *, siret_lookup: bool = False) -> ColumnElement[bool]:
    """The structures a caller may read: admin all; a structure key its own; a
    network key those its network covers; a company key those it gave missions to
    and, by exact SIRET, any structure's public fields, as in the public SIRENE
    directory."""
    if caller.role is Role.admin:
        return true()
    if caller.role is Role.structure:
        return Structure.id == caller_id(caller, "structure")
    if caller.role is Role.network and caller.network_id is not None:
        return networks.covers(caller_id(caller, "network"))
    if caller.role is Role.company and caller.company_id is not None:
        if siret_lookup:
            return true()
        return Structure.id.in_(partners_of_company(caller_id(caller, "company")))
    return false()


async def get_visible(
    session: AsyncSession, caller: Caller, structure_id: uuid.UUID
) -> Structure | None:
    statement = select(Structure).where(Structure.id == structure_id, visible_to(caller))
    return await session.scalar(statement)


@functools.cache
def read_query(role: Role) -> CompiledQuery:
    previous_sirets = (
        select(func.array_agg(aggregate_order_by(SiretRecord.siret, SiretRecord.retired_at)))
        .where(
            SiretRecord.structure_id == Structure.id,
            SiretRecord.antenne_id.is_(None),
            SiretRecord.retired_at.is_not(None),
        )
        .scalar_subquery()
    )
    statement = select(
        Structure.id,
        Structure.siret,
        Structure.siren,
        previous_sirets.label("previous_sirets"),
        Structure.name,
        Structure.kind,
        Structure.address,
        Structure.postal_code,
        Structure.commune_code,
        Structure.departement_code,
        Structure.region_code,
        Structure.sectors,
        Structure.contact_name,
        Structure.contact_email,
        Structure.contact_phone,
        Structure.created_at,
        Structure.updated_at,
        Structure.version,
    ).where(Structure.id == bindparam("structure_id"), visible_to(Caller.of_role(role)))
    return CompiledQuery.of(statement)


async def read(
    database: Database, caller: Caller, structure_id: uuid.UUID
) -> dict[str, Any] | None:
    """The structure as one row, with its previous SIRETs, if the caller may see it."""
    return await read_query(caller.role).one(
        database, structure_id=structure_id, **caller.parameters()
    )


async def lock(session: AsyncSession, structure_id: uuid.UUID) -> Structure | None:
    """The structure, locked until the transaction ends: writes that check state
    across rows (annexe overlaps, SIRET changes) take it first."""
    return await session.get(Structure, structure_id, with_for_update=True, populate_existing=True)


async def page(
    session: AsyncSession,
    caller: Caller,
    filters: StructureFilters,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Structure]:
    statement = select(Structure).where(visible_to(caller, siret_lookup=filters.siret is not None))
    if filters.kind is not None:
        statement = statement.where(Structure.kind == filters.kind)
    if filters.region_code is not None:
        statement = statement.where(Structure.region_code == filters.region_code)
    if filters.departement_code is not None:
        statement = statement.where(Structure.departement_code == filters.departement_code)
    if filters.sector is not None:
        statement = statement.where(Structure.sectors.contains([filters.sector.value]))
    if filters.network_id is not None:
        statement = statement.where(networks.covers(filters.network_id))
    if filters.text:
        pattern = substring_pattern(filters.text)
        statement = statement.where(
            or_(Structure.name.ilike(pattern), Structure.siret.like(pattern))
        )
    if filters.siret is not None:
        owner = select(SiretRecord.structure_id).where(SiretRecord.siret == filters.siret)
        statement = statement.where(Structure.id.in_(owner))
    if filters.updated_since is not None:
        statement = statement.where(Structure.updated_at >= filters.updated_since)
    return (await session.scalars(keyset(statement, SORT_KEY, after, limit))).all()


async def previous_sirets(
    session: AsyncSession, structure_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    rows = await session.execute(
        select(SiretRecord.structure_id, SiretRecord.siret)
        .where(
            SiretRecord.structure_id.in_(structure_ids),
            SiretRecord.antenne_id.is_(None),
            SiretRecord.retired_at.is_not(None),
        )
        .order_by(SiretRecord.retired_at)
    )
    found: dict[uuid.UUID, list[str]] = {structure_id: [] for structure_id in structure_ids}
    for structure_id, siret in rows:
        found[structure_id].append(siret)
    return found


async def siret_owner(session: AsyncSession, siret: str) -> Structure | None:
    """The structure that has or had this SIRET, for itself or an antenne."""
    statement = select(Structure).join(SiretRecord, SiretRecord.structure_id == Structure.id)
    return await session.scalar(statement.where(SiretRecord.siret == siret))


async def existing_ids(session: AsyncSession, structure_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return set(await session.scalars(select(Structure.id).where(Structure.id.in_(structure_ids))))


async def create(session: AsyncSession, values: dict[str, Any]) -> Structure:
    structure = Structure(**values)
    session.add(structure)
    await session.flush()
    session.add(SiretRecord(siret=structure.siret, structure_id=structure.id))
    await session.flush()
    await session.refresh(structure)
    return structure


async def update_structure(
    session: AsyncSession, structure: Structure, changes: dict[str, Any]
) -> Structure:
    """Applies ``changes`` to a locked structure; a new SIRET retires the old one."""
    new_siret = changes.get("siret")
    if new_siret is not None and new_siret != structure.siret:
        await session.execute(
            update(SiretRecord)
            .where(SiretRecord.siret == structure.siret)
            .values(retired_at=func.now())
        )
        session.add(SiretRecord(siret=new_siret, structure_id=structure.id))
    await save_changes(session, structure, changes)
    return structure


async def add_antenne(session: AsyncSession, antenne: Antenne) -> Antenne:
    session.add(antenne)
    await session.flush()
    session.add(
        SiretRecord(siret=antenne.siret, structure_id=antenne.structure_id, antenne_id=antenne.id)
    )
    await session.flush()
    await session.refresh(antenne)
    return antenne


async def antennes(
    session: AsyncSession, structure_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> Sequence[Antenne]:
    statement = select(Antenne).where(Antenne.structure_id == structure_id)
    return (
        await session.scalars(keyset(statement, (Antenne.created_at, Antenne.id), after, limit))
    ).all()


async def annexes(
    session: AsyncSession,
    structure_id: uuid.UUID,
    *,
    year: int | None,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Annexe]:
    statement = select(Annexe).where(Annexe.structure_id == structure_id)
    if year is not None:
        statement = statement.where(Annexe.year == year)
    return (
        await session.scalars(keyset(statement, (Annexe.start_date, Annexe.id), after, limit))
    ).all()


async def get_annexe(
    session: AsyncSession, structure_id: uuid.UUID, annexe_id: uuid.UUID
) -> Annexe | None:
    statement = select(Annexe).where(Annexe.id == annexe_id, Annexe.structure_id == structure_id)
    return await session.scalar(statement.execution_options(populate_existing=True))


async def overlapping_annexe(
    session: AsyncSession,
    structure_id: uuid.UUID,
    start: dt.date,
    end: dt.date,
    *,
    other_than: uuid.UUID | None = None,
) -> Annexe | None:
    """Another annexe of the structure sharing a day with [start, end]. Call it with
    the structure locked, so that two writers cannot both find none."""
    statement = select(Annexe).where(
        Annexe.structure_id == structure_id, Annexe.start_date <= end, Annexe.end_date >= start
    )
    if other_than is not None:
        statement = statement.where(Annexe.id != other_than)
    return await session.scalar(statement.limit(1))


async def add_annexe(session: AsyncSession, annexe: Annexe) -> Annexe:
    return await insert_record(session, annexe)


async def update_annexe(session: AsyncSession, annexe: Annexe, changes: dict[str, Any]) -> Annexe:
    await save_changes(session, annexe, changes)
    return annexe


_KINDS = select(Structure.id, Structure.kind).where(
    Structure.id == any_(bindparam("structure_ids", type_=ARRAY(Uuid())))
)
KINDS_QUERY = CompiledQuery.of(_KINDS)


async def kinds(
    session: AsyncSession, structure_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StructureKind]:
    """The kind of each existing structure among ``structure_ids``."""
    rows = await session.execute(_KINDS, {"structure_ids": list(structure_ids)})
    return dict(rows.all())


async def kinds_of(
    database: Database, structure_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StructureKind]:
    """:func:`kinds` on a connection of the hot paths."""
    rows = await KINDS_QUERY.all(database, structure_ids=list(structure_ids))
    return {uuid.UUID(str(row["id"])): StructureKind(row["kind"]) for row in rows}
