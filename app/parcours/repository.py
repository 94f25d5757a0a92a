"""Every query on parcours, contracts, derogations, hours and accompaniment."""

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import String, bindparam, cast, func, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.db import Database, RecordT, insert_record, save_changes
from app.errors import Conflict, found
from app.keys.models import Role
from app.pagination import keyset
from app.parcours.models import (
    Action,
    Contract,
    ContractAmendment,
    Derogation,
    FreinRecord,
    MonthlyHours,
    Objective,
    Parcours,
)
from app.reference.enums import ContractKind, ParcoursStatus, StructureKind
from app.salaries.models import PassIae, Salarie
from app.salaries.repository import owned_by
from app.sql import CompiledQuery, KeysetList
from app.structures.models import Structure


@dataclass(frozen=True)
class ParcoursFilters:
    structure_id: uuid.UUID | None = None
    salarie_id: uuid.UUID | None = None
    status: ParcoursStatus | None = None


async def get_visible(
    session: AsyncSession, caller: Caller, parcours_id: uuid.UUID
) -> Parcours | None:
    statement = select(Parcours).where(
        Parcours.id == parcours_id, owned_by(caller, Parcours.structure_id)
    )
    return await session.scalar(statement.execution_options(populate_existing=True))


async def visible(session: AsyncSession, caller: Caller, parcours_id: uuid.UUID) -> Parcours:
    """The parcours, or a 404: one the caller may not see is not found either."""
    return found(await get_visible(session, caller, parcours_id), "no parcours with this id")


PAGE = KeysetList[Caller](
    columns=(
        Parcours.id,
        Parcours.salarie_id,
        Parcours.structure_id,
        Parcours.entry_date,
        Parcours.status,
        Parcours.exit_date,
        Parcours.exit_motif,
        Parcours.exit_category,
        Parcours.created_at,
        Parcours.updated_at,
    ),
    visible=lambda caller: owned_by(caller, Parcours.structure_id),
    filters={
        "structure_id": lambda value: Parcours.structure_id == value,
        "salarie_id": lambda value: Parcours.salarie_id == value,
        "status": lambda value: Parcours.status == value,
    },
    sort_key=(Parcours.updated_at, Parcours.id),
)


async def page(
    database: Database,
    caller: Caller,
    filters: ParcoursFilters,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    given = {
        "structure_id": filters.structure_id,
        "salarie_id": filters.salarie_id,
        "status": filters.status,
    }
    return await PAGE.fetch(database, caller, given, after=after, limit=limit)


async def open_parcours(session: AsyncSession, salarie_id: uuid.UUID) -> Parcours | None:
    statement = select(Parcours).where(
        Parcours.salarie_id == salarie_id, Parcours.status == ParcoursStatus.en_cours
    )
    return await session.scalar(statement.limit(1))


async def add(session: AsyncSession, record: RecordT) -> RecordT:
    return await insert_record(session, record)


async def record_exit(
    session: AsyncSession, parcours: Parcours, changes: dict[str, Any]
) -> Parcours:
    await save_changes(session, parcours, changes)
    return parcours


@dataclass(frozen=True)
class ParcoursContext:
    """What the rules read about a parcours besides the contract under check."""

    structure_kind: StructureKind
    birth_date: dt.date
    pass_start: dt.date | None
    pass_end: dt.date | None
    parcours_contracts: Sequence[Contract]
    structure_contracts: Sequence[Contract]
    derogations: Sequence[Derogation]


async def context(
    session: AsyncSession, parcours: Parcours, *, other_than: uuid.UUID | None = None
) -> ParcoursContext:
    facts = await session.execute(
        select(Structure.kind, Salarie.birth_date, PassIae.start_date, PassIae.end_date)
        .select_from(Salarie)
        .join(Structure, Structure.id == parcours.structure_id)
        .outerjoin(PassIae, PassIae.salarie_id == Salarie.id)
        .where(Salarie.id == parcours.salarie_id)
    )
    kind, birth_date, pass_start, pass_end = facts.one()
    if birth_date is None:
        raise Conflict("the salarié was pseudonymised: their contracts can no longer change")
    contracts_statement = select(Contract).where(
        Contract.salarie_id == parcours.salarie_id, Contract.structure_id == parcours.structure_id
    )
    if other_than is not None:
        contracts_statement = contracts_statement.where(Contract.id != other_than)
    structure_contracts = (await session.scalars(contracts_statement)).all()
    derogations = (
        await session.scalars(select(Derogation).where(Derogation.parcours_id == parcours.id))
    ).all()
    return ParcoursContext(
        structure_kind=kind,
        birth_date=birth_date,
        pass_start=pass_start,
        pass_end=pass_end,
        parcours_contracts=[c for c in structure_contracts if c.parcours_id == parcours.id],
        structure_contracts=structure_contracts,
        derogations=derogations,
    )


async def contracts(
    session: AsyncSession, parcours_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> Sequence[Contract]:
    statement = select(Contract).where(Contract.parcours_id == parcours_id)
    return (
        await session.scalars(keyset(statement, (Contract.start_date, Contract.id), after, limit))
    ).all()


async def get_contract_visible(
    session: AsyncSession, caller: Caller, contract_id: uuid.UUID
) -> Contract | None:
    statement = select(Contract).where(
        Contract.id == contract_id, owned_by(caller, Contract.structure_id)
    )
    return await session.scalar(statement.execution_options(populate_existing=True))


_AMENDMENT_COLUMNS = (
    # as text: the pool's UUID codec is text-format, which asyncpg cannot apply to a
    # field of a row value (it decodes the 16 bytes as UTF-8)
    cast(ContractAmendment.id, String).label("id"),
    ContractAmendment.signed_on,
    ContractAmendment.previous_end_date,
    ContractAmendment.new_end_date,
    ContractAmendment.previous_weekly_hours,
    ContractAmendment.new_weekly_hours,
)
_AMENDMENT_NAMES = tuple(str(column.key) for column in _AMENDMENT_COLUMNS)


def _amendments_column() -> Any:
    """A contract's avenants, oldest first, as one array of rows."""
    return (
        select(
            func.array_agg(
                aggregate_order_by(
                    func.row(*_AMENDMENT_COLUMNS),
                    ContractAmendment.signed_on,
                    ContractAmendment.created_at,
                )
            )
        )
        .where(ContractAmendment.contract_id == Contract.id)
        .scalar_subquery()
        .label("amendments")
    )


CONTRACT_COLUMNS = (
    Contract.id,
    Contract.parcours_id,
    Contract.salarie_id,
    Contract.structure_id,
    Contract.kind,
    Contract.start_date,
    Contract.end_date,
    Contract.weekly_hours,
    Contract.warnings,
    _amendments_column(),
    Contract.created_at,
    Contract.updated_at,
)


@dataclass(frozen=True)
class ContractFilters:
    structure_id: uuid.UUID | None = None
    parcours_id: uuid.UUID | None = None
    salarie_id: uuid.UUID | None = None
    kind: ContractKind | None = None
    active_from: dt.date | None = None
    active_to: dt.date | None = None
    updated_since: dt.datetime | None = None


CONTRACT_PAGE = KeysetList[Caller](
    columns=CONTRACT_COLUMNS,
    visible=lambda caller: owned_by(caller, Contract.structure_id),
    filters={
        "structure_id": lambda value: Contract.structure_id == value,
        "parcours_id": lambda value: Contract.parcours_id == value,
        "salarie_id": lambda value: Contract.salarie_id == value,
        "kind": lambda value: Contract.kind == value,
        # a contract without an end runs on: it meets every later period
        "active_from": lambda value: func.coalesce(Contract.end_date, value) >= value,
        "active_to": lambda value: Contract.start_date <= value,
        "updated_since": lambda value: Contract.updated_at >= value,
    },
    sort_key=(Contract.updated_at, Contract.id),
)


async def contract_page(
    database: Database,
    caller: Caller,
    filters: ContractFilters,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Contracts across parcours, as ContractRead's JSON, ordered by last update."""
    given = {
        "structure_id": filters.structure_id,
        "parcours_id": filters.parcours_id,
        "salarie_id": filters.salarie_id,
        "kind": filters.kind,
        "active_from": filters.active_from,
        "active_to": filters.active_to,
        "updated_since": filters.updated_since,
    }
    rows = await CONTRACT_PAGE.fetch(database, caller, given, after=after, limit=limit)
    return [_with_amendments(row) for row in rows]


@functools.cache
def contract_query(role: Role) -> CompiledQuery:
    statement = select(*CONTRACT_COLUMNS).where(
        Contract.id == bindparam("contract_id"),
        owned_by(Caller.of_role(role), Contract.structure_id),
    )
    return CompiledQuery.of(statement)


async def read_contract(
    database: Database, caller: Caller, contract_id: uuid.UUID
) -> dict[str, Any] | None:
    """The contract as ContractRead's JSON, avenants included, in one round trip."""
    contract = await contract_query(caller.role).one(
        database, contract_id=contract_id, **caller.parameters()
    )
    return None if contract is None else _with_amendments(contract)


def _with_amendments(contract: dict[str, Any]) -> dict[str, Any]:
    contract["amendments"] = [
        dict(zip(_AMENDMENT_NAMES, amendment, strict=True))
        for amendment in contract["amendments"] or []
    ]
    return contract


@functools.cache
def facts_query(role: Role) -> CompiledQuery:
    statement = select(
        Contract.kind, Contract.start_date, Contract.end_date, Contract.weekly_hours
    ).where(
        Contract.id == bindparam("contract_id"),
        owned_by(Caller.of_role(role), Contract.structure_id),
    )
    return CompiledQuery.of(statement)


# one value per contract and month: the same call twice stores it once
SET_HOURS = (
    insert(MonthlyHours)
    .values(
        contract_id=bindparam("contract_id"), month=bindparam("month"), hours=bindparam("hours")
    )
    .on_conflict_do_update(
        index_elements=[MonthlyHours.contract_id, MonthlyHours.month],
        set_={"hours": bindparam("hours")},
    )
    .returning(MonthlyHours.contract_id, MonthlyHours.month, MonthlyHours.hours)
)
SET_HOURS_QUERY = CompiledQuery.of(SET_HOURS)


async def contract_facts(
    database: Database, caller: Caller, contract_id: uuid.UUID
) -> tuple[ContractKind, dt.date, dt.date | None, Decimal] | None:
    """What the hour rules read of a contract the caller may see."""
    row = await facts_query(caller.role).one(
        database, contract_id=contract_id, **caller.parameters()
    )
    if row is None:
        return None
    return ContractKind(row["kind"]), row["start_date"], row["end_date"], row["weekly_hours"]


async def put_hours(
    database: Database, contract_id: uuid.UUID, month: dt.date, hours: Decimal
) -> dict[str, Any]:
    """One value per contract and month, in one statement: the same call twice stores
    it once, and the monthly aggregates follow by trigger."""
    row = await SET_HOURS_QUERY.one(database, contract_id=contract_id, month=month, hours=hours)
    assert row is not None
    return row


async def amendments(
    session: AsyncSession, contract_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ContractAmendment]]:
    rows = await session.scalars(
        select(ContractAmendment)
        .where(ContractAmendment.contract_id.in_(contract_ids))
        .order_by(ContractAmendment.signed_on, ContractAmendment.created_at)
    )
    found: dict[uuid.UUID, list[ContractAmendment]] = {
        contract_id: [] for contract_id in contract_ids
    }
    for amendment in rows:
        found[amendment.contract_id].append(amendment)
    return found


async def amend(
    session: AsyncSession, contract: Contract, amendment: ContractAmendment, changes: dict[str, Any]
) -> Contract:
    session.add(amendment)
    await save_changes(session, contract, changes)
    return contract


async def set_hours(
    session: AsyncSession, contract_id: uuid.UUID, month: dt.date, hours: Decimal
) -> None:
    """:func:`put_hours` within a session's transaction (the demo data set)."""
    await session.execute(SET_HOURS, {"contract_id": contract_id, "month": month, "hours": hours})


async def hours(
    session: AsyncSession, contract_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> Sequence[MonthlyHours]:
    statement = select(MonthlyHours).where(MonthlyHours.contract_id == contract_id)
    return (await session.scalars(keyset(statement, (MonthlyHours.month,), after, limit))).all()


async def children(
    session: AsyncSession,
    model: type[Derogation] | type[Action] | type[FreinRecord] | type[Objective],
    parcours_id: uuid.UUID,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Any]:
    """A parcours' derogations, actions, freins or objectives, oldest first."""
    statement = select(model).where(model.parcours_id == parcours_id)
    return (
        await session.scalars(keyset(statement, (model.created_at, model.id), after, limit))
    ).all()


async def child(
    session: AsyncSession,
    model: type[FreinRecord] | type[Objective],
    parcours_id: uuid.UUID,
    child_id: uuid.UUID,
) -> Any:
    statement = select(model).where(model.id == child_id, model.parcours_id == parcours_id)
    return await session.scalar(statement.with_for_update())


async def update_child(
    session: AsyncSession, record: FreinRecord | Objective, changes: dict[str, Any]
) -> None:
    for field, value in changes.items():
        setattr(record, field, value)
    await session.flush()


REBUILD_STRUCTURE_MONTH_HOURS = text(
    "TRUNCATE structure_month_hours;"
    " INSERT INTO structure_month_hours (structure_id, month, hours, records)"
    " SELECT c.structure_id, h.month, sum(h.hours), count(*)"
    " FROM monthly_hours h JOIN contracts c ON c.id = h.contract_id"
    " GROUP BY c.structure_id, h.month"
)


REBUILD_STRUCTURE_MONTH_EXITS = text(
    "TRUNCATE structure_month_exits;"
    " INSERT INTO structure_month_exits (structure_id, month, category, exits, days)"
    " SELECT structure_id, date_trunc('month', exit_date)::date, exit_category, count(*),"
    " sum(exit_date - entry_date + 1) FROM parcours WHERE exit_date IS NOT NULL"
    " GROUP BY 1, 2, 3"
)


REBUILD_STRUCTURE_MONTH_CONTRACT_ENDS = text(
    "TRUNCATE structure_month_contract_ends;"
    " INSERT INTO structure_month_contract_ends (structure_id, month, contracts, days)"
    " SELECT structure_id, date_trunc('month', end_date)::date, count(*),"
    " sum(end_date - start_date + 1) FROM contracts WHERE end_date IS NOT NULL"
    " GROUP BY 1, 2"
)


async def rebuild_structure_month_hours(session: AsyncSession) -> None:
    """Recomputes the hour aggregates from scratch: after a load that bypassed the
    trigger (COPY with triggers off), or to check them."""
    await session.execute(REBUILD_STRUCTURE_MONTH_HOURS)


PSEUDONYMISED_LABEL = "[pseudonymised]"


async def forget_free_text(session: AsyncSession, salarie_ids: Sequence[uuid.UUID]) -> None:
    """Clears what a person may have written about these salariés in their parcours:
    action notes, derogation reasons, objective labels."""
    theirs = select(Parcours.id).where(Parcours.salarie_id.in_(salarie_ids)).scalar_subquery()
    for statement in (
        update(Action).where(Action.parcours_id.in_(theirs)).values(note=None),
        update(Derogation).where(Derogation.parcours_id.in_(theirs)).values(reason=None),
        update(Objective)
        .where(Objective.parcours_id.in_(theirs))
        .values(label=PSEUDONYMISED_LABEL),
    ):
        await session.execute(statement.execution_options(synchronize_session=False))
