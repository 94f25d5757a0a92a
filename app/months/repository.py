"""Every query of the monthly closing: a structure's months, the contracts in force in
one, and the lines of a closed month's export."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.months.models import StructureMonth
from app.months.rules import ContractInForce, MonthState
from app.parcours.models import Contract, MonthlyHours, Parcours
from app.reference.models import ReferenceHours
from app.structures.models import Structure


def _month_key(structure_id: uuid.UUID, month: dt.date) -> Any:
    # the same key as the trigger on monthly_hours (migration 0021)
    return func.hashtextextended(func.concat(str(structure_id), month.isoformat()), 0)


async def lock_for_closing(session: AsyncSession, structure_id: uuid.UUID, month: dt.date) -> None:
    """Waits for the hours writes of the month under way, and holds off new ones (they
    take the same lock, shared) until the transaction ends."""
    await session.execute(select(func.pg_advisory_xact_lock(_month_key(structure_id, month))))


async def month_of(
    session: AsyncSession, structure_id: uuid.UUID, month: dt.date
) -> StructureMonth | None:
    return await session.scalar(
        select(StructureMonth)
        .where(StructureMonth.structure_id == structure_id, StructureMonth.month == month)
        .execution_options(populate_existing=True)
    )


async def months_between(
    session: AsyncSession, structure_id: uuid.UUID, first: dt.date, last: dt.date
) -> Sequence[StructureMonth]:
    statement = select(StructureMonth).where(
        StructureMonth.structure_id == structure_id, StructureMonth.month.between(first, last)
    )
    return (await session.scalars(statement.order_by(StructureMonth.month))).all()


def _in_force(first: dt.date, last: dt.date) -> Any:
    return and_(
        Contract.start_date <= last,
        or_(Contract.end_date.is_(None), Contract.end_date >= first),
    )


async def contracts_in_force(
    session: AsyncSession, structure_id: uuid.UUID, first: dt.date, last: dt.date
) -> list[ContractInForce]:
    has_hours = exists().where(MonthlyHours.contract_id == Contract.id, MonthlyHours.month == first)
    rows = await session.execute(
        select(Contract.id, Contract.parcours_id, Contract.salarie_id, has_hours)
        .where(Contract.structure_id == structure_id, _in_force(first, last))
        .order_by(Contract.start_date, Contract.id)
    )
    return [ContractInForce(*row) for row in rows]


async def set_state(
    session: AsyncSession,
    structure_id: uuid.UUID,
    month: dt.date,
    state: MonthState,
    *,
    reopening: bool = False,
) -> StructureMonth:
    """Closes the month (recording it the first time), or reopens it: the row as written."""
    now = func.statement_timestamp()
    statement: Any
    if reopening:
        statement = (
            update(StructureMonth)
            .where(StructureMonth.structure_id == structure_id, StructureMonth.month == month)
            .values(state=state, reopened_at=now, corrections=StructureMonth.corrections + 1)
        )
    else:
        statement = (
            insert(StructureMonth)
            .values(structure_id=structure_id, month=month, state=state, closed_at=now)
            .on_conflict_do_update(
                index_elements=[StructureMonth.structure_id, StructureMonth.month],
                set_={"state": state, "closed_at": now},
            )
        )
    written: StructureMonth | None = await session.scalar(
        statement.returning(StructureMonth).execution_options(populate_existing=True)
    )
    assert written is not None
    return written


async def export_rows(
    session: AsyncSession, structure_id: uuid.UUID, first: dt.date, last: dt.date
) -> Sequence[Any]:
    """One line per contract in force in the month: its salarié, kind, hours, share of
    a full-time month (hours over a twelfth of the reference annual hours in force for
    the structure's kind), and the parcours' exit when it falls in the month."""
    annual_hours = (
        select(ReferenceHours.annual_hours)
        .where(ReferenceHours.kind == Structure.kind, ReferenceHours.in_force_from <= first)
        .order_by(ReferenceHours.in_force_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    hours = func.coalesce(MonthlyHours.hours, 0)
    statement = (
        select(
            Contract.salarie_id,
            Contract.parcours_id,
            Contract.id.label("contract_id"),
            Contract.kind,
            hours.label("hours"),
            func.round(hours * 12 / annual_hours, 4).label("etp_share"),
            Parcours.exit_date,
            Parcours.exit_motif,
            Parcours.exit_category,
        )
        .join(Parcours, Parcours.id == Contract.parcours_id)
        .join(Structure, Structure.id == Contract.structure_id)
        .outerjoin(
            MonthlyHours,
            and_(MonthlyHours.contract_id == Contract.id, MonthlyHours.month == first),
        )
        .where(Contract.structure_id == structure_id, _in_force(first, last))
        .order_by(Contract.salarie_id, Contract.start_date, Contract.id)
    )
    return (await session.execute(statement)).all()
