"""Every query on missions, their staffing and hours."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

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
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, caller_id
from app.db import Database, save_changes
from app.keys.models import Role
from app.missions.models import Mission, MissionAssignment, MissionHours
from app.reference.enums import ActivitySector, MissionStatus
from app.sql import CompiledQuery, KeysetList

SORT_KEY = (Mission.updated_at, Mission.id)
MISSION_COLUMNS = (
    "company_id", "structure_id", "external_ref", "title", "kind", "sector",
    "commune_code", "departement_code", "region_code", "start_date", "end_date",
    "planned_hours", "amount_ht", "social_clause", "insertion_hours_target", "content_hash",
)  # fmt: skip
_SQL_TYPES = (
    "uuid", "uuid", "varchar", "varchar", "varchar", "varchar",
    "varchar", "varchar", "varchar", "date", "date",
    "numeric", "numeric", "boolean", "numeric", "bytea",
)  # fmt: skip
_CONTENT = [c for c in MISSION_COLUMNS if c not in ("company_id", "external_ref")]

# One statement for one mission or ten thousand: the rows travel as one array per
# column, and a replayed mission whose content is unchanged is not touched.
UPSERT = text(
    "INSERT INTO missions ("
    + ", ".join(MISSION_COLUMNS)
    + ", id, status) SELECT t.*, gen_random_uuid(), 'proposee' FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in zip(MISSION_COLUMNS, _SQL_TYPES, strict=True))
    + ") AS t("
    + ", ".join(MISSION_COLUMNS)
    + ") ON CONFLICT (company_id, external_ref) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _CONTENT)
    + ", version = missions.version + 1, updated_at = now()"
    " WHERE missions.content_hash IS DISTINCT FROM EXCLUDED.content_hash"
    " RETURNING id, external_ref, (xmax = 0) AS created"
)


@dataclass(frozen=True)
class MissionFilters:
    company_id: uuid.UUID | None = None
    structure_id: uuid.UUID | None = None
    status: MissionStatus | None = None
    active_from: dt.date | None = None
    active_to: dt.date | None = None
    sector: ActivitySector | None = None
    region_code: str | None = None
    updated_since: dt.datetime | None = None


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


async def by_ref(session: AsyncSession, company_id: uuid.UUID, external_ref: str) -> Mission | None:
    statement = select(Mission).where(
        Mission.company_id == company_id, Mission.external_ref == external_ref
    )
    return await session.scalar(statement.execution_options(populate_existing=True))


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
    columns=READ_COLUMNS,
    visible=visible_to,
    filters={
        "company_id": lambda value: Mission.company_id == value,
        "structure_id": lambda value: Mission.structure_id == value,
        "status": lambda value: Mission.status == value,
        "sector": lambda value: Mission.sector == value,
        "region_code": lambda value: Mission.region_code == value,
        "active_from": lambda value: Mission.end_date >= value,
        "active_to": lambda value: Mission.start_date <= value,
        "updated_since": lambda value: Mission.updated_at >= value,
    },
    sort_key=SORT_KEY,
)


async def page(
    database: Database,
    caller: Caller,
    filters: MissionFilters,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    given = {
        "company_id": filters.company_id,
        "structure_id": filters.structure_id,
        "status": filters.status,
        "sector": filters.sector,
        "region_code": filters.region_code,
        "active_from": filters.active_from,
        "active_to": filters.active_to,
        "updated_since": filters.updated_since,
    }
    return mission_items(await PAGE.fetch(database, caller, given, after=after, limit=limit))


def mission_items(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of READ_COLUMNS as MissionRead's JSON."""
    items = [dict(row) for row in rows]
    for item in items:
        target = item["social_clause"]
        item["social_clause"] = None if target is None else {"insertion_hours_target": target}
    return items


# a new mission, or nothing when the company already used the reference
CREATE_QUERY = CompiledQuery.of(
    insert(Mission)
    .values(
        {
            **{column: bindparam(column) for column in MISSION_COLUMNS},
            "id": func.gen_random_uuid(),
            "status": bindparam("status"),
        }
    )
    .on_conflict_do_nothing(index_elements=[Mission.company_id, Mission.external_ref])
    .returning(*READ_COLUMNS, Mission.version)
)
_BY_REF = CompiledQuery.of(
    select(Mission.id).where(
        Mission.company_id == bindparam("company_id"),
        Mission.external_ref == bindparam("external_ref"),
    )
)


async def create(database: Database, row: dict[str, Any]) -> tuple[dict[str, Any], int] | uuid.UUID:
    """Writes a new mission in one statement: its JSON and version, or the id of the
    company's mission that already has the reference."""
    async with database.connection() as connection:
        created = await CREATE_QUERY.fetchrow(connection, status=MissionStatus.proposee, **row)
        if created is None:
            existing = await _BY_REF.fetchrow(
                connection, company_id=row["company_id"], external_ref=row["external_ref"]
            )
            assert existing is not None
            return uuid.UUID(str(existing["id"]))
    values = dict(created)
    version = values.pop("version")
    return mission_items([values])[0], version


async def upsert(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[str, tuple[uuid.UUID, bool]]:
    """Creates or replaces missions by (company, external_ref); returns, for those
    written, their id and whether created. A row not returned was unchanged."""
    if not rows:
        return {}
    columns = {column: [row[column] for row in rows] for column in MISSION_COLUMNS}
    result = await session.execute(UPSERT, columns)
    return {ref: (mission_id, created) for mission_id, ref, created in result}


class Existing(NamedTuple):
    """What a write by reference needs to know of the mission already there."""

    id: uuid.UUID
    content_hash: bytes
    structure_id: uuid.UUID
    staffed: bool  # salariés assigned, or hours recorded


async def current(
    session: AsyncSession, company_id: uuid.UUID, refs: Sequence[str]
) -> dict[str, Existing]:
    """The company's missions among ``refs``."""
    # one array parameter, not one parameter per reference: batches hold 10 000
    wanted = any_(cast(bindparam("refs", list(refs)), ARRAY(String)))
    staffed = or_(
        exists().where(MissionAssignment.mission_id == Mission.id),
        exists().where(MissionHours.mission_id == Mission.id),
    )
    rows = await session.execute(
        select(
            Mission.external_ref,
            Mission.id,
            Mission.content_hash,
            Mission.structure_id,
            staffed,
        ).where(Mission.company_id == company_id, Mission.external_ref == wanted)
    )
    return {
        ref: Existing(mission_id, content_hash, structure_id, is_staffed)
        for ref, mission_id, content_hash, structure_id, is_staffed in rows
    }


async def save(session: AsyncSession, mission: Mission, changes: dict[str, Any]) -> Mission:
    await save_changes(session, mission, changes)
    return mission


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
