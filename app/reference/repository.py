"""Every query on the reference tables."""

import datetime as dt
from collections.abc import Sequence

import asyncpg
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.pagination import keyset
from app.reference.enums import StructureKind
from app.reference.models import AideAuPosteRate, Departement, ReferenceHours, Region
from app.sql import CompiledQuery


async def territory_facts(
    session: AsyncSession, *, departement_code: str | None, region_code: str
) -> tuple[str | None, bool]:
    """The région of the département (None: unknown), and whether the région exists."""
    statement = select(
        select(Departement.region_code)
        .where(Departement.code == departement_code)
        .scalar_subquery(),
        exists().where(Region.code == region_code),
    )
    region_of_departement, region_exists = (await session.execute(statement)).one()
    return region_of_departement, bool(region_exists)


async def regions(
    session: AsyncSession, *, after: Sequence[object] | None, limit: int
) -> Sequence[Region]:
    statement = keyset(select(Region), [Region.code], after, limit)
    return (await session.scalars(statement)).all()


async def departements(
    session: AsyncSession, *, region_code: str | None, after: Sequence[object] | None, limit: int
) -> Sequence[Departement]:
    statement = select(Departement)
    if region_code is not None:
        statement = statement.where(Departement.region_code == region_code)
    return (await session.scalars(keyset(statement, [Departement.code], after, limit))).all()


async def aide_au_poste_rates(
    session: AsyncSession, *, kind: StructureKind | None, after: Sequence[object] | None, limit: int
) -> Sequence[AideAuPosteRate]:
    statement = select(AideAuPosteRate)
    if kind is not None:
        statement = statement.where(AideAuPosteRate.kind == kind)
    sort_key = [AideAuPosteRate.kind, AideAuPosteRate.in_force_from]
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def rates_in_force(
    session: AsyncSession, kind: StructureKind, start: dt.date, end: dt.date
) -> Sequence[AideAuPosteRate]:
    """The rates that apply to some day of [start, end]: the one in force at the start
    and every later one that comes into force by the end, oldest first."""
    in_force_at_start = (
        select(AideAuPosteRate.in_force_from)
        .where(AideAuPosteRate.kind == kind, AideAuPosteRate.in_force_from <= start)
        .order_by(AideAuPosteRate.in_force_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(AideAuPosteRate)
        .where(
            AideAuPosteRate.kind == kind,
            AideAuPosteRate.in_force_from <= end,
            AideAuPosteRate.in_force_from >= func.coalesce(in_force_at_start, start),
        )
        .order_by(AideAuPosteRate.in_force_from)
    )
    return (await session.scalars(statement)).all()


async def add_aide_au_poste_rate(session: AsyncSession, rate: AideAuPosteRate) -> AideAuPosteRate:
    session.add(rate)
    await session.flush()
    return rate


async def reference_hours(
    session: AsyncSession, *, after: Sequence[object] | None, limit: int
) -> Sequence[ReferenceHours]:
    sort_key = [ReferenceHours.kind, ReferenceHours.in_force_from]
    return (await session.scalars(keyset(select(ReferenceHours), sort_key, after, limit))).all()


async def known_codes(
    session: AsyncSession, *, region_codes: Sequence[str], departement_codes: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Which of the given région and département codes exist."""
    regions_found = await session.scalars(select(Region.code).where(Region.code.in_(region_codes)))
    departements_found = await session.scalars(
        select(Departement.code).where(Departement.code.in_(departement_codes))
    )
    return set(regions_found), set(departements_found)


DEPARTEMENT_REGIONS = select(Departement.code, Departement.region_code)


_REGIONS_QUERY = CompiledQuery.of(DEPARTEMENT_REGIONS)
# read once per process: reference data, which only migrations change
_regions: dict[str, str] = {}


async def departement_regions(connection: asyncpg.Connection) -> dict[str, str]:
    """Every département's région, for checks over many records at once."""
    if not _regions:
        rows = await _REGIONS_QUERY.fetch(connection)
        _regions.update({row["code"]: row["region_code"] for row in rows})
    return _regions
