"""The alerts, computed by PostgreSQL in one statement: what ends or runs out soon, and
the fiches salarié the ASP rejected."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Uuid,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.fiches.models import FicheSalarie
from app.fiches.schemas import FicheStatus
from app.keys.models import Role
from app.months.models import StructureMonth
from app.months.rules import MonthState, month_bounds
from app.pagination import keyset
from app.parcours.models import Contract, Derogation, Parcours
from app.reference.enums import EXTENDING_DEROGATIONS, ContractKind, ParcoursStatus
from app.rules import add_months
from app.salaries.models import PassIae
from app.salaries.repository import owned_by
from app.structures.models import Structure

# the month an alert is about: only a month still open has one
NO_MONTH = cast(null(), String).label("month")


async def page(
    session: AsyncSession,
    caller: Caller,
    *,
    today: dt.date,
    within_days: int,
    cddi_limit_months: int,
    month_close_by_day: int,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    alerts = _alerts(caller, today, within_days, cddi_limit_months, month_close_by_day)
    statement = select(alerts)
    sort_key = (alerts.c.due_date, alerts.c.kind, alerts.c.record_id)
    return (await session.execute(keyset(statement, sort_key, after, limit))).all()


async def due_within(
    session: AsyncSession,
    *,
    today: dt.date,
    within_days: int,
    cddi_limit_months: int,
    month_close_by_day: int,
) -> Sequence[Row[Any]]:
    """Every alert of every structure (the time-based webhook events)."""
    admin = Caller.of_role(Role.admin)
    alerts = _alerts(admin, today, within_days, cddi_limit_months, month_close_by_day)
    return (await session.execute(select(alerts))).all()


def _alerts(
    caller: Caller,
    today: dt.date,
    within_days: int,
    cddi_limit_months: int,
    month_close_by_day: int,
) -> Any:
    horizon = today + dt.timedelta(days=within_days)
    open_parcours = and_(
        Parcours.status == ParcoursStatus.en_cours, owned_by(caller, Parcours.structure_id)
    )

    def alert(
        kind: str, record_type: str, record_id: Any, due: Any, parcours: Any = Parcours
    ) -> Any:
        return select(
            literal(kind).label("kind"),
            due.label("due_date"),
            literal(record_type).label("record_type"),
            record_id.label("record_id"),
            parcours.id.label("parcours_id"),
            parcours.salarie_id.label("salarie_id"),
            parcours.structure_id.label("structure_id"),
            NO_MONTH,
        )

    contracts_ending = (
        alert("contract_ending", "contract", Contract.id, Contract.end_date)
        .join(Parcours, Parcours.id == Contract.parcours_id)
        .where(open_parcours, Contract.end_date.between(today, horizon))
    )
    pass_expiring = (
        alert("pass_iae_expiring", "pass_iae", PassIae.id, PassIae.end_date)
        .join(Parcours, Parcours.salarie_id == PassIae.salarie_id)
        .where(open_parcours, PassIae.end_date.between(today, horizon))
    )
    derogations_expiring = (
        alert("derogation_expiring", "derogation", Derogation.id, Derogation.end_date)
        .join(Parcours, Parcours.id == Derogation.parcours_id)
        .where(open_parcours, Derogation.end_date.between(today, horizon))
    )
    cddi = (
        select(
            Contract.parcours_id,
            func.min(Contract.start_date).label("first_start"),
            func.max(Contract.end_date).label("last_end"),
            func.sum(Contract.end_date - Contract.start_date + 1).label("total_days"),
        )
        .where(Contract.kind == ContractKind.cddi, Contract.end_date.is_not(None))
        .group_by(Contract.parcours_id)
        .subquery()
    )
    limit_days = cast(
        cast(cddi.c.first_start + func.make_interval(0, cddi_limit_months), Date)
        - cddi.c.first_start,
        Integer,
    )
    remaining = cast(limit_days - cddi.c.total_days, Integer)
    extended = exists().where(
        Derogation.parcours_id == cddi.c.parcours_id, Derogation.kind.in_(EXTENDING_DEROGATIONS)
    )
    cddi_limit = (
        alert("cddi_approaching_limit", "parcours", Parcours.id, cddi.c.last_end + remaining)
        .join(cddi, cddi.c.parcours_id == Parcours.id)
        .where(open_parcours, remaining <= within_days, ~extended)
    )
    return union_all(
        contracts_ending,
        pass_expiring,
        derogations_expiring,
        cddi_limit,
        _fiches_rejected(caller),
        _months_still_open(caller, today, month_close_by_day),
    ).subquery()


def _months_still_open(caller: Caller, today: dt.date, close_by_day: int) -> Any:
    """Past the ``close_by_day``-th, last month of each structure that had a contract in
    force then and has not closed it (the EMI's discipline), due that day."""
    first, last = month_bounds(add_months(today.replace(day=1), -1))
    in_force = exists().where(
        Contract.structure_id == Structure.id,
        Contract.start_date <= last,
        or_(Contract.end_date.is_(None), Contract.end_date >= first),
    )
    closed = exists().where(
        StructureMonth.structure_id == Structure.id,
        StructureMonth.month == first,
        StructureMonth.state != MonthState.open,
    )
    due = min(today.replace(day=close_by_day), today)
    return select(
        literal("month_still_open").label("kind"),
        literal(due, Date).label("due_date"),
        literal("structure_month").label("record_type"),
        Structure.id.label("record_id"),
        cast(null(), Uuid).label("parcours_id"),
        cast(null(), Uuid).label("salarie_id"),
        Structure.id.label("structure_id"),
        literal(first.strftime("%Y-%m")).label("month"),
    ).where(
        literal(today.day > close_by_day),
        owned_by(caller, Structure.id),
        in_force,
        ~closed,
    )


def _fiches_rejected(caller: Caller) -> Any:
    """A fiche salarié the ASP rejected, due the day it did, until it is fixed and sent
    again (its salarié's latest parcours in the structure, whatever its state)."""
    latest_parcours = (
        select(Parcours.id)
        .where(
            Parcours.salarie_id == FicheSalarie.salarie_id,
            Parcours.structure_id == FicheSalarie.structure_id,
        )
        .order_by(Parcours.entry_date.desc(), Parcours.id)
        .limit(1)
        .scalar_subquery()
    )
    return select(
        literal("fiche_salarie_rejected").label("kind"),
        cast(FicheSalarie.updated_at, Date).label("due_date"),
        literal("fiche_salarie").label("record_type"),
        FicheSalarie.id.label("record_id"),
        latest_parcours.label("parcours_id"),
        FicheSalarie.salarie_id.label("salarie_id"),
        FicheSalarie.structure_id.label("structure_id"),
        NO_MONTH,
    ).where(
        FicheSalarie.status == FicheStatus.rejected,
        owned_by(caller, FicheSalarie.structure_id),
        latest_parcours.is_not(None),
    )
