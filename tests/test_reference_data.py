import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.reference.enums import StructureKind
from app.reference.models import AideAuPosteRate, Departement, ReferenceHours, Region


async def test_eighteen_regions_thirteen_of_them_mainland(session: AsyncSession) -> None:
    regions = (await session.scalars(select(Region))).all()
    assert len(regions) == 18
    assert sum(not region.overseas for region in regions) == 13
    assert {r.code: r.name for r in regions}["53"] == "Bretagne"
    assert {r.code: r.name for r in regions}["76"] == "Occitanie"


async def test_hundred_and_one_departements_each_in_a_region(session: AsyncSession) -> None:
    count = await session.scalar(select(func.count()).select_from(Departement))
    assert count == 101
    orphans = await session.scalar(
        select(func.count())
        .select_from(Departement)
        .outerjoin(Region, Region.code == Departement.region_code)
        .where(Region.code.is_(None))
    )
    assert orphans == 0
    corse = (
        await session.scalars(select(Departement.code).where(Departement.region_code == "94"))
    ).all()
    assert sorted(corse) == ["2A", "2B"]


async def socle(session: AsyncSession, kind: StructureKind, on: dt.date) -> Decimal | None:
    """The socle in force for ``kind`` on ``on``."""
    return await session.scalar(
        select(AideAuPosteRate.amount_per_etp)
        .where(AideAuPosteRate.kind == kind, AideAuPosteRate.in_force_from <= on)
        .order_by(AideAuPosteRate.in_force_from.desc())
        .limit(1)
    )


async def test_aide_au_poste_table_matches_the_published_amounts(session: AsyncSession) -> None:
    assert await socle(session, StructureKind.ACI, dt.date(2023, 4, 30)) == Decimal("22692")
    assert await socle(session, StructureKind.ACI, dt.date(2023, 5, 1)) == Decimal("23196")
    assert await socle(session, StructureKind.EI, dt.date(2025, 6, 1)) == Decimal("13304")
    assert await socle(session, StructureKind.AI, dt.date(2024, 10, 31)) == Decimal("1588")
    assert await socle(session, StructureKind.EITI, dt.date(2024, 10, 31)) is None
    assert await socle(session, StructureKind.EITI, dt.date(2024, 11, 1)) == Decimal("6570")
    assert await session.scalar(select(func.count()).select_from(AideAuPosteRate)) == 22


async def test_reference_hours_per_kind(session: AsyncSession) -> None:
    hours = {
        row.kind: row.annual_hours for row in (await session.scalars(select(ReferenceHours))).all()
    }
    assert hours == {
        StructureKind.EI: Decimal("1607"),
        StructureKind.ETTI: Decimal("1607"),
        StructureKind.AI: Decimal("1607"),
        StructureKind.ACI: Decimal("1607"),
        StructureKind.EITI: Decimal("1505"),
    }
