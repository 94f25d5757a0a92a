"""Every query on client companies."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.companies.models import Company
from app.db import Database, insert_record, save_changes, substring_pattern
from app.keys.models import Role
from app.pagination import keyset
from app.reference.enums import ActivitySector, CompanySize
from app.sql import CompiledQuery
from app.structures.models import partners_of_structure

SORT_KEY = (Company.updated_at, Company.id)


@dataclass(frozen=True)
class CompanyFilters:
    size: CompanySize | None = None
    sector: ActivitySector | None = None
    region_code: str | None = None
    text: str | None = None
    siret: str | None = None
    updated_since: dt.datetime | None = None


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """Admin all; a company key its own; a structure key the companies that gave it
    missions; networks none (aggregates only)."""
    if caller.role is Role.admin:
        return true()
    if caller.role is Role.company:
        return Company.id == caller.company_id
    if caller.role is Role.structure and caller.structure_id is not None:
        return Company.id.in_(partners_of_structure(caller.structure_id))
    return false()


async def get_visible(
    session: AsyncSession, caller: Caller, company_id: uuid.UUID
) -> Company | None:
    return await session.scalar(select(Company).where(Company.id == company_id, visible_to(caller)))


async def lock(session: AsyncSession, company_id: uuid.UUID) -> Company | None:
    return await session.get(Company, company_id, with_for_update=True, populate_existing=True)


async def by_siret(session: AsyncSession, siret: str) -> Company | None:
    return await session.scalar(select(Company).where(Company.siret == siret))


async def page(
    session: AsyncSession,
    caller: Caller,
    filters: CompanyFilters,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Company]:
    statement = select(Company).where(visible_to(caller))
    if filters.size is not None:
        statement = statement.where(Company.size == filters.size)
    if filters.sector is not None:
        statement = statement.where(Company.sector == filters.sector)
    if filters.region_code is not None:
        statement = statement.where(Company.region_code == filters.region_code)
    if filters.text:
        pattern = substring_pattern(filters.text)
        statement = statement.where(or_(Company.name.ilike(pattern), Company.siret.like(pattern)))
    if filters.siret is not None:
        statement = statement.where(Company.siret == filters.siret)
    if filters.updated_since is not None:
        statement = statement.where(Company.updated_at >= filters.updated_since)
    return (await session.scalars(keyset(statement, SORT_KEY, after, limit))).all()


async def create(session: AsyncSession, values: dict[str, Any]) -> Company:
    return await insert_record(session, Company(**values))


async def update_company(
    session: AsyncSession, company: Company, changes: dict[str, Any]
) -> Company:
    await save_changes(session, company, changes)
    return company


_EXISTS = CompiledQuery.of(select(Company.id).where(Company.id == bindparam("company_id")))


async def exists(database: Database, company_id: uuid.UUID) -> bool:
    return await _EXISTS.one(database, company_id=company_id) is not None
