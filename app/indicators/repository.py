"""Every query on objectives (the indicators themselves are in queries.py)."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.db import insert_record
from app.indicators.models import IndicatorObjective
from app.keys.models import Role
from app.pagination import keyset


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """Admin: all; other keys: the objectives set on their own scope."""
    if caller.role is Role.admin:
        return true()
    if caller.role is Role.structure:
        return IndicatorObjective.structure_id == caller.structure_id
    if caller.role is Role.company:
        return IndicatorObjective.company_id == caller.company_id
    return IndicatorObjective.network_id == caller.network_id


async def add(session: AsyncSession, objective: IndicatorObjective) -> IndicatorObjective:
    return await insert_record(session, objective)


async def get_visible(
    session: AsyncSession, caller: Caller, objective_id: uuid.UUID
) -> IndicatorObjective | None:
    statement = select(IndicatorObjective).where(
        IndicatorObjective.id == objective_id, visible_to(caller)
    )
    return await session.scalar(statement)


async def page(
    session: AsyncSession,
    caller: Caller,
    *,
    set_since: dt.datetime | None,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[IndicatorObjective]:
    statement = select(IndicatorObjective).where(visible_to(caller))
    if set_since is not None:
        statement = statement.where(IndicatorObjective.created_at >= set_since)
    sort_key = (IndicatorObjective.created_at, IndicatorObjective.id)
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def overlapping(
    session: AsyncSession,
    caller: Caller,
    start: dt.date,
    end: dt.date,
    *,
    structure_id: uuid.UUID | None,
) -> Sequence[IndicatorObjective]:
    """The caller's objectives whose period meets [start, end], at most 200."""
    statement = select(IndicatorObjective).where(
        visible_to(caller),
        IndicatorObjective.period_start <= end,
        IndicatorObjective.period_end >= start,
    )
    if structure_id is not None:
        statement = statement.where(IndicatorObjective.structure_id == structure_id)
    statement = statement.order_by(IndicatorObjective.indicator, IndicatorObjective.created_at)
    return (await session.scalars(statement.limit(200))).all()


async def delete(session: AsyncSession, objective: IndicatorObjective) -> None:
    await session.delete(objective)
    await session.flush()
