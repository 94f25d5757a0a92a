"""Every query on structures, their antennes, SIRET history and annexes."""

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import Query
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Uuid,
    any_,
    bindparam,
    false,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, caller_id
from app.db import in_name_or_siret, insert_record, save_changes
from app.keys.models import Role
from app.networks import repository as networks
from app.pagination import keyset
from app.reference.enums import ActivitySector, StructureKind
from app.reference.identifiers import Siret
from app.reference.schemas import DepartementCode, RegionCode, UpdatedSince
from app.sql import CompiledQuery, Where, filtered
from app.structures.models import (
    Annexe,
    Antenne,
    CapDerogation,
    SiretRecord,
    Structure,
    partners_of_company,
)
from app.structures.rules import etp_conventionnes

SORT_KEY = (Structure.updated_at, Structure.id)


def _had_siret(siret: str) -> ColumnElement[bool]:
    return Structure.id.in_(select(SiretRecord.structure_id).where(SiretRecord.siret == siret))


@dataclass(frozen=True)
class StructureQuery:
    """The filters of GET /v1/structures, from their query parameters to their SQL."""

    kind: Annotated[StructureKind | None, Query(), Where(lambda v: Structure.kind == v)] = None
    region_code: Annotated[
        RegionCode | None, Query(alias="region"), Where(lambda v: Structure.region_code == v)
    ] = None
    departement_code: Annotated[
        DepartementCode | None,
        Query(alias="departement"),
        Where(lambda v: Structure.departement_code == v),
    ] = None
    sector: Annotated[
        ActivitySector | None, Query(), Where(lambda v: Structure.sectors.contains([v.value]))
    ] = None
    network_id: Annotated[
        uuid.UUID | None,
        Query(alias="network", description="Structures this network covers"),
        Where(networks.covers),
    ] = None
    text: Annotated[
        str | None,
        Query(alias="q", min_length=2, max_length=100, description="Text in the name or SIRET"),
        Where(lambda v: in_name_or_siret(v, Structure.name, Structure.siret)),
    ] = None
    siret: Annotated[
        Siret | None,
        Query(description="Current or former SIRET, or an antenne's"),
        Where(_had_siret),
    ] = None
    updated_since: Annotated[UpdatedSince, Where(lambda v: Structure.updated_at >= v)] = None


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


_PREVIOUS_SIRETS = (
    select(func.array_agg(aggregate_order_by(SiretRecord.siret, SiretRecord.retired_at)))
    .where(
        SiretRecord.structure_id == Structure.id,
        SiretRecord.antenne_id.is_(None),
        SiretRecord.retired_at.is_not(None),
    )
    .scalar_subquery()
)
# what StructureRead is shaped from (service.structure_json), with the version (ETag)
READ_COLUMNS = (
    Structure.id,
    Structure.siret,
    Structure.siren,
    _PREVIOUS_SIRETS.label("previous_sirets"),
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
)


@functools.cache
def read_query(role: Role) -> CompiledQuery:
    return CompiledQuery.of(
        select(*READ_COLUMNS).where(
            Structure.id == bindparam("structure_id"), visible_to(Caller.of_role(role))
        )
    )


async def read(
    connection: asyncpg.Connection, caller: Caller, structure_id: uuid.UUID
) -> dict[str, Any] | None:
    """The structure as one row, with its previous SIRETs, if the caller may see it."""
    row = await read_query(caller.role).fetchrow(
        connection, structure_id=structure_id, **caller.parameters()
    )
    return None if row is None else dict(row)


async def lock(session: AsyncSession, structure_id: uuid.UUID) -> Structure | None:
    """The structure, locked until the transaction ends: writes that check state
    across rows (annexe overlaps, SIRET changes) take it first."""
    return await session.get(Structure, structure_id, with_for_update=True, populate_existing=True)


async def page(
    session: AsyncSession,
    caller: Caller,
    query: StructureQuery,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    # a company key finds any structure by its exact SIRET (public fields only)
    visible = visible_to(caller, siret_lookup=query.siret is not None)
    statement = filtered(select(*READ_COLUMNS).where(visible), query)
    rows = await session.execute(keyset(statement, SORT_KEY, after, limit))
    return [row._asdict() for row in rows]


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
) -> None:
    """Applies ``changes`` to a locked structure; a new SIRET retires the old one. The
    answer is read through :func:`read`."""
    new_siret = changes.get("siret")
    if new_siret is not None and new_siret != structure.siret:
        await session.execute(
            update(SiretRecord)
            .where(SiretRecord.siret == structure.siret)
            .values(retired_at=func.now())
        )
        session.add(SiretRecord(siret=new_siret, structure_id=structure.id))
    await save_changes(session, structure, changes, read_back=False)


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


async def conventionnement_of_year(
    session: AsyncSession, structure_id: uuid.UUID, year: int
) -> tuple[Decimal, bool]:
    """The ETP conventionnés of the structure's annexes of ``year`` (0 without one), and
    whether the préfet raised the CDI inclusion share on one of them."""
    rows = (
        await session.execute(
            select(
                Annexe.posts, Annexe.start_date, Annexe.end_date, Annexe.prefet_cdi_inclusion_share
            ).where(Annexe.structure_id == structure_id, Annexe.year == year)
        )
    ).all()
    etp = sum((etp_conventionnes(p, start, end) for p, start, end, _ in rows), Decimal(0))
    return etp, any(raised for *_, raised in rows)


CAP_DEROGATIONS = "ai-cap-derogations"


async def cap_derogations(
    session: AsyncSession,
    structure_id: uuid.UUID,
    *,
    after: Sequence[object] | None = None,
    limit: int | None = None,
) -> Sequence[CapDerogation]:
    """The préfet's decisions lifting the structure's 480-hour cap, by start date."""
    statement = select(CapDerogation).where(CapDerogation.structure_id == structure_id)
    sort_key = (CapDerogation.start_date, CapDerogation.id)
    if limit is None:
        return (await session.scalars(statement.order_by(*sort_key))).all()
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def add_cap_derogation(session: AsyncSession, derogation: CapDerogation) -> CapDerogation:
    return await insert_record(session, derogation)


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
    connection: asyncpg.Connection, structure_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StructureKind]:
    """The kind of each existing structure among ``structure_ids``."""
    rows = await KINDS_QUERY.fetch(connection, structure_ids=list(structure_ids))
    # a pool connection gives UUIDs as text, a session's as UUID objects
    return {uuid.UUID(str(row["id"])): StructureKind(row["kind"]) for row in rows}
