"""Every query on client companies."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, bindparam, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.companies.models import Company
from app.db import Database, in_name_or_siret, insert_record, save_changes
from app.keys.models import Role
from app.pagination import keyset
from app.reference.enums import ActivitySector, CompanySize
from app.reference.identifiers import Siret
from app.reference.schemas import RegionCode, UpdatedSince
from app.sql import CompiledQuery, Where, filtered
from app.structures.models import partners_of_structure

SORT_KEY = (Company.updated_at, Company.id)


@dataclass(frozen=True)
class CompanyQuery:
    """The filters of GET /v1/companies, from their query parameters to their SQL."""

    size: Annotated[CompanySize | None, Query(), Where(lambda v: Company.size == v)] = None
    sector: Annotated[ActivitySector | None, Query(), Where(lambda v: Company.sector == v)] = None
    region_code: Annotated[
        RegionCode | None, Query(alias="region"), Where(lambda v: Company.region_code == v)
    ] = None
    text: Annotated[
        str | None,
        Query(alias="q", min_length=2, max_length=100, description="Text in the name or SIRET"),
        Where(lambda v: in_name_or_siret(v, Company.name, Company.siret)),
    ] = None
    siret: Annotated[Siret | None, Query(), Where(lambda v: Company.siret == v)] = None
    updated_since: Annotated[UpdatedSince, Where(lambda v: Company.updated_at >= v)] = None


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
    query: CompanyQuery,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Company]:
    statement = filtered(select(Company).where(visible_to(caller)), query)
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
