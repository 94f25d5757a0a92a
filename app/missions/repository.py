"""Every query on missions, their staffing and hours."""

import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

import asyncpg
from fastapi import Query
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    any_,
    bindparam,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, caller_id
from app.db import Database
from app.keys.models import Role
from app.missions.models import Mission, MissionAssignment, MissionHours
from app.reference.enums import ActivitySector, MissionStatus
from app.reference.schemas import Day, RegionCode, UpdatedSince
from app.sql import CompiledQuery, KeysetList, Where

SORT_KEY = (Mission.updated_at, Mission.id)


@dataclass(frozen=True)
class MissionQuery:
    """The filters of GET /v1/missions, from their query parameters to their SQL."""

    company_id: Annotated[
        uuid.UUID | None, Query(alias="company"), Where(lambda v: Mission.company_id == v)
    ] = None
    structure_id: Annotated[
        uuid.UUID | None, Query(alias="structure"), Where(lambda v: Mission.structure_id == v)
    ] = None
    status: Annotated[MissionStatus | None, Query(), Where(lambda v: Mission.status == v)] = None
    active_from: Annotated[
        Day | None,
        Query(description="Running on or after"),
        Where(lambda v: Mission.end_date >= v),
    ] = None
    active_to: Annotated[
        Day | None,
        Query(description="Running on or before"),
        Where(lambda v: Mission.start_date <= v),
    ] = None
    sector: Annotated[ActivitySector | None, Query(), Where(lambda v: Mission.sector == v)] = None
    region_code: Annotated[
        RegionCode | None, Query(alias="region"), Where(lambda v: Mission.region_code == v)
    ] = None
    updated_since: Annotated[UpdatedSince, Where(lambda v: Mission.updated_at >= v)] = None


def visible_to(caller: Caller) -> ColumnElement[bool]:
    """Admin: all; a company: its missions; a structure: those given to it."""
    if caller.role is Role.admin:
        return true()
    if caller.role is Role.company:
        return Mission.company_id == caller_id(caller, "company")
    if caller.role is Role.structure:
        return Mission.structure_id == caller_id(caller, "structure")
    return false()


async def get_visible(
    session: AsyncSession, caller: Caller, mission_id: uuid.UUID
) -> Mission | None:
    statement = select(Mission).where(Mission.id == mission_id, visible_to(caller))
    return await session.scalar(statement.execution_options(populate_existing=True))


async def lock(session: AsyncSession, mission_id: uuid.UUID) -> Mission | None:
    return await session.get(Mission, mission_id, with_for_update=True, populate_existing=True)


async def lock_by_ref(
    session: AsyncSession, company_id: uuid.UUID, external_ref: str
) -> Mission | None:
    """The company's mission that has the reference, locked (in one statement)."""
    statement = select(Mission).where(
        Mission.company_id == company_id, Mission.external_ref == external_ref
    )
    return await session.scalar(
        statement.with_for_update().execution_options(populate_existing=True)
    )


# the columns of MissionRead, in its order; the clause's target stands for the clause
READ_COLUMNS = (
    Mission.id,
    Mission.company_id,
    Mission.structure_id,
    Mission.external_ref,
    Mission.title,
    Mission.kind,
    Mission.sector,
    Mission.commune_code,
    Mission.departement_code,
    Mission.region_code,
    Mission.start_date,
    Mission.end_date,
    Mission.planned_hours,
    Mission.amount_ht,
    Mission.insertion_hours_target.label("social_clause"),
    Mission.status,
    Mission.created_at,
    Mission.updated_at,
)

PAGE = KeysetList[Caller](
    columns=READ_COLUMNS, visible=visible_to, query=MissionQuery, sort_key=SORT_KEY
)


async def page(
    database: Database,
    caller: Caller,
    query: MissionQuery,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows = await PAGE.fetch(database, caller, query, after=after, limit=limit)
    return [mission_json(row) for row in rows]


def mission_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of READ_COLUMNS as MissionRead's JSON: the one place a mission is shaped."""
    item = dict(row)
    target = item["social_clause"]
    item["social_clause"] = None if target is None else {"insertion_hours_target": target}
    return item


class Shown(NamedTuple):
    """A mission as answered: MissionRead's JSON and its version (the ETag)."""

    mission: dict[str, Any]
    version: int


@functools.cache
def _read_query(role: Role) -> CompiledQuery:
    return CompiledQuery.of(
        select(*READ_COLUMNS, Mission.version).where(
            Mission.id == bindparam("mission_id"), visible_to(Caller.of_role(role))
        )
    )


async def read(
    connection: asyncpg.Connection, caller: Caller, mission_id: uuid.UUID
) -> Shown | None:
    """The mission if the caller may see it."""
    row = await _read_query(caller.role).fetchrow(
        connection, mission_id=mission_id, **caller.parameters()
    )
    return None if row is None else _shown(row)


def _shown(row: Mapping[str, Any]) -> Shown:
    values = dict(row)
    version = values.pop("version")
    values.pop("created", None)
    return Shown(mission_json(values), version)


# What a company's write sets, in the table's order: every column but those the server
# keeps. A column added to the model is written as soon as service.to_row gives it.
_SERVER_KEPT = {"id", "status", "version", "created_at", "updated_at"}
WRITTEN_COLUMNS = tuple(c for c in Mission.__table__.columns if c.name not in _SERVER_KEPT)
_CONTENT = tuple(c.name for c in WRITTEN_COLUMNS if c.name not in ("company_id", "external_ref"))


def _compile_write(*, replace: bool, one: bool) -> CompiledQuery:
    """The write of missions: of one, its values as parameters; of many (up to ten
    thousand), one array per column, unnested, so the statement keeps one shape. A
    reference the company already used is left alone, or with ``replace`` replaced when
    its content changed (a replayed, unchanged mission is not touched)."""
    names = [column.name for column in WRITTEN_COLUMNS]
    proposed: ColumnElement[str] = literal_column(f"'{MissionStatus.proposee.value}'")
    if one:
        values: dict[str, Any] = {name: bindparam(name) for name in names}
        statement = insert(Mission).values(
            {**values, "id": func.gen_random_uuid(), "status": proposed}
        )
    else:
        arrays = (cast(bindparam(c.name), ARRAY(c.type)) for c in WRITTEN_COLUMNS)
        rows = func.unnest(*arrays).table_valued(*names).render_derived()
        statement = insert(Mission).from_select(
            [*names, "id", "status"], select(*rows.c, func.gen_random_uuid(), proposed)
        )
    key = [Mission.company_id, Mission.external_ref]
    if replace:
        statement = statement.on_conflict_do_update(
            index_elements=key,
            set_={
                **{name: statement.excluded[name] for name in _CONTENT},
                "version": Mission.version + literal_column("1"),
                "updated_at": func.now(),
            },
            where=Mission.content_hash.is_distinct_from(statement.excluded.content_hash),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=key)
    # constants written into the SQL: every bound value of a compiled query is named
    created = (literal_column("xmax") == literal_column("0")).label("created")
    return CompiledQuery.of(statement.returning(*READ_COLUMNS, Mission.version, created))


_WRITES = {
    (replace, one): _compile_write(replace=replace, one=one)
    for replace in (False, True)
    for one in (False, True)
}


def write_query(*, replace: bool, one: bool) -> CompiledQuery:
    """The statement :func:`write` sends (the load benchmark's baseline sends it too)."""
    return _WRITES[replace, one]


class Written(NamedTuple):
    shown: Shown
    created: bool


async def write(
    connection: asyncpg.Connection, rows: Sequence[Mapping[str, Any]], *, replace: bool
) -> dict[str, Written]:
    """Writes ``rows`` (of service.to_row) by the company's reference: what was written,
    by reference. A reference not there was unchanged (``replace``) or is taken."""
    if not rows:
        return {}
    one = len(rows) == 1
    columns = {
        column.name: rows[0][column.name] if one else [row[column.name] for row in rows]
        for column in WRITTEN_COLUMNS
    }
    written = {}
    for row in await _WRITES[replace, one].fetch(connection, **columns):
        shown = _shown(row)
        written[shown.mission["external_ref"]] = Written(shown, row["created"])
    return written


_BY_REFERENCE = CompiledQuery.of(
    select(*READ_COLUMNS, Mission.version).where(
        Mission.company_id == bindparam("company_id"),
        Mission.external_ref == bindparam("external_ref"),
    )
)


async def by_reference(
    connection: asyncpg.Connection, company_id: uuid.UUID, external_ref: str
) -> Shown | None:
    """The company's mission that has the reference."""
    row = await _BY_REFERENCE.fetchrow(connection, company_id=company_id, external_ref=external_ref)
    return None if row is None else _shown(row)


_SET_STATUS = CompiledQuery.of(
    update(Mission)
    .where(Mission.id == bindparam("mission_id"))
    .values(
        status=bindparam("status"),
        version=Mission.version + literal_column("1"),
        updated_at=func.now(),
    )
    .returning(*READ_COLUMNS, Mission.version)
)


async def set_status(
    connection: asyncpg.Connection, mission_id: uuid.UUID, status: MissionStatus
) -> Shown:
    row = await _SET_STATUS.fetchrow(connection, mission_id=mission_id, status=status.value)
    assert row is not None
    return _shown(row)


class Existing(NamedTuple):
    """What a write by reference needs to know of the mission already there."""

    id: uuid.UUID
    content_hash: bytes
    structure_id: uuid.UUID
    staffed: bool  # salariés assigned, or hours recorded


_STAFFED = or_(
    exists().where(MissionAssignment.mission_id == Mission.id),
    exists().where(MissionHours.mission_id == Mission.id),
)
_CURRENT = CompiledQuery.of(
    select(
        Mission.external_ref, Mission.id, Mission.content_hash, Mission.structure_id, _STAFFED
    ).where(
        Mission.company_id == bindparam("company_id"),
        # one array parameter, not one parameter per reference: batches hold 10 000
        Mission.external_ref == any_(cast(bindparam("refs"), ARRAY(String))),
    )
)


async def current(
    connection: asyncpg.Connection, company_id: uuid.UUID, refs: Sequence[str]
) -> dict[str, Existing]:
    """The company's missions among ``refs``."""
    rows = await _CURRENT.fetch(connection, company_id=company_id, refs=list(refs))
    return {
        ref: Existing(uuid.UUID(str(mission_id)), content_hash, uuid.UUID(str(structure)), staffed)
        for ref, mission_id, content_hash, structure, staffed in rows
    }


async def assign(session: AsyncSession, mission_id: uuid.UUID, salarie_id: uuid.UUID) -> None:
    await session.execute(
        insert(MissionAssignment)
        .values(mission_id=mission_id, salarie_id=salarie_id)
        .on_conflict_do_nothing()
    )


async def is_assigned(session: AsyncSession, mission_id: uuid.UUID, salarie_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(MissionAssignment.salarie_id).where(
            MissionAssignment.mission_id == mission_id, MissionAssignment.salarie_id == salarie_id
        )
    )
    return found is not None


async def placements_with_company(
    session: AsyncSession,
    salarie_id: uuid.UUID,
    company_id: uuid.UUID,
    *,
    except_mission: uuid.UUID,
    except_month: dt.date,
) -> list[tuple[dt.date, Decimal]]:
    """The salarié's hours with a company by month, across its missions, without the
    record about to be replaced."""
    rows = await session.execute(
        select(MissionHours.month, func.sum(MissionHours.hours))
        .join(Mission, Mission.id == MissionHours.mission_id)
        .where(
            MissionHours.salarie_id == salarie_id,
            Mission.company_id == company_id,
            ~((MissionHours.mission_id == except_mission) & (MissionHours.month == except_month)),
        )
        .group_by(MissionHours.month)
    )
    return [(month, hours) for month, hours in rows]


async def set_hours(
    session: AsyncSession,
    mission_id: uuid.UUID,
    salarie_id: uuid.UUID,
    month: dt.date,
    hours: Decimal,
) -> None:
    await session.execute(
        insert(MissionHours)
        .values(mission_id=mission_id, salarie_id=salarie_id, month=month, hours=hours)
        .on_conflict_do_update(
            index_elements=[MissionHours.mission_id, MissionHours.salarie_id, MissionHours.month],
            set_={"hours": hours},
        )
    )


async def hours_by_month(
    session: AsyncSession, mission_id: uuid.UUID
) -> list[tuple[dt.date, Decimal, int]]:
    rows = await session.execute(
        select(
            MissionHours.month,
            func.sum(MissionHours.hours),
            func.count(func.distinct(MissionHours.salarie_id)),
        )
        .where(MissionHours.mission_id == mission_id)
        .group_by(MissionHours.month)
        .order_by(MissionHours.month)
    )
    return [(month, hours, count) for month, hours, count in rows]


async def assigned_count(session: AsyncSession, mission_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(MissionAssignment)
        .where(MissionAssignment.mission_id == mission_id)
    )
    return int(count or 0)


async def hours_by_salarie(
    session: AsyncSession, mission_id: uuid.UUID
) -> list[tuple[uuid.UUID, dt.date, Decimal]]:
    rows = await session.execute(
        select(MissionHours.salarie_id, MissionHours.month, MissionHours.hours)
        .where(MissionHours.mission_id == mission_id)
        .order_by(MissionHours.month, MissionHours.salarie_id)
    )
    return [(salarie_id, month, hours) for salarie_id, month, hours in rows]
