"""Every query on parcours, contracts, derogations, hours and accompaniment."""

import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import Query
from sqlalchemy import Select, String, bindparam, cast, func, or_, select, text, update
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
from app.reference.schemas import Day, UpdatedSince
from app.salaries.models import PassIae, Salarie
from app.salaries.repository import owned_by
from app.sql import CompiledQuery, KeysetList, Where
from app.structures.models import Structure


@dataclass(frozen=True)
class ParcoursQuery:
    """The filters of GET /v1/parcours, from their query parameters to their SQL."""

    structure_id: Annotated[
        uuid.UUID | None, Query(alias="structure"), Where(lambda v: Parcours.structure_id == v)
    ] = None
    salarie_id: Annotated[
        uuid.UUID | None, Query(alias="salarie"), Where(lambda v: Parcours.salarie_id == v)
    ] = None
    status: Annotated[ParcoursStatus | None, Query(), Where(lambda v: Parcours.status == v)] = None


NO_PARCOURS = "no parcours with this id"


async def get_visible(
    session: AsyncSession, caller: Caller, parcours_id: uuid.UUID
) -> Parcours | None:
    statement = select(Parcours).where(
        Parcours.id == parcours_id, owned_by(caller, Parcours.structure_id)
    )
    return await session.scalar(statement.execution_options(populate_existing=True))


async def visible(session: AsyncSession, caller: Caller, parcours_id: uuid.UUID) -> Parcours:
    """The parcours, or a 404: one the caller may not see is not found either."""
    return found(await get_visible(session, caller, parcours_id), NO_PARCOURS)


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
    query=ParcoursQuery,
    sort_key=(Parcours.updated_at, Parcours.id),
)


async def page(
    database: Database,
    caller: Caller,
    query: ParcoursQuery,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    return await PAGE.fetch(database, caller, query, after=after, limit=limit)


async def open_parcours(session: AsyncSession, salarie_id: uuid.UUID) -> Parcours | None:
    statement = select(Parcours).where(
        Parcours.salarie_id == salarie_id, Parcours.status == ParcoursStatus.en_cours
    )
    return await session.scalar(statement.limit(1))


async def lock_salarie_of_parcours(
    session: AsyncSession, caller: Caller, parcours_id: uuid.UUID
) -> Salarie | None:
    """The salarié of a parcours the caller may see, locked (in one statement): a write
    that checks across the salarié's contracts takes it first."""
    owner = select(Parcours.salarie_id).where(
        Parcours.id == parcours_id, owned_by(caller, Parcours.structure_id)
    )
    return await _lock_salarie(session, owner)


async def lock_salarie_of_contract(
    session: AsyncSession, caller: Caller, contract_id: uuid.UUID
) -> Salarie | None:
    """:func:`lock_salarie_of_parcours`, from one of the salarié's contracts."""
    owner = select(Contract.salarie_id).where(
        Contract.id == contract_id, owned_by(caller, Contract.structure_id)
    )
    return await _lock_salarie(session, owner)


async def _lock_salarie(session: AsyncSession, owner: Select[uuid.UUID]) -> Salarie | None:
    statement = select(Salarie).where(Salarie.id == owner.scalar_subquery()).with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


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


async def cdi_inclusion_weekly_hours(
    session: AsyncSession, structure_id: uuid.UUID, year: int, *, other_than: uuid.UUID | None
) -> Decimal:
    """The weekly hours of the structure's CDI inclusion contracts in force some day of
    ``year``, but ``other_than``."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    statement = select(func.coalesce(func.sum(Contract.weekly_hours), 0)).where(
        Contract.structure_id == structure_id,
        Contract.kind == ContractKind.cdi_inclusion,
        Contract.start_date <= last,
        or_(Contract.end_date.is_(None), Contract.end_date >= first),
    )
    if other_than is not None:
        statement = statement.where(Contract.id != other_than)
    return Decimal(await session.scalar(statement) or 0)


async def contracts(
    session: AsyncSession, parcours_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> list[dict[str, Any]]:
    """A parcours' contracts as ContractRead's JSON, in the order they start."""
    statement = select(*CONTRACT_COLUMNS).where(Contract.parcours_id == parcours_id)
    rows = await session.execute(
        keyset(statement, (Contract.start_date, Contract.id), after, limit)
    )
    return [contract_json(row._asdict()) for row in rows]


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
class ContractQuery:
    """The filters of GET /v1/contracts, from their query parameters to their SQL."""

    structure_id: Annotated[
        uuid.UUID | None, Query(alias="structure"), Where(lambda v: Contract.structure_id == v)
    ] = None
    parcours_id: Annotated[
        uuid.UUID | None, Query(alias="parcours"), Where(lambda v: Contract.parcours_id == v)
    ] = None
    salarie_id: Annotated[
        uuid.UUID | None, Query(alias="salarie"), Where(lambda v: Contract.salarie_id == v)
    ] = None
    kind: Annotated[ContractKind | None, Query(), Where(lambda v: Contract.kind == v)] = None
    active_from: Annotated[
        Day | None,
        Query(description="Running on or after"),
        # a contract without an end runs on: it meets every later period
        Where(lambda v: func.coalesce(Contract.end_date, v) >= v),
    ] = None
    active_to: Annotated[
        Day | None,
        Query(description="Running on or before"),
        Where(lambda v: Contract.start_date <= v),
    ] = None
    updated_since: Annotated[UpdatedSince, Where(lambda v: Contract.updated_at >= v)] = None


CONTRACT_PAGE = KeysetList[Caller](
    columns=CONTRACT_COLUMNS,
    visible=lambda caller: owned_by(caller, Contract.structure_id),
    query=ContractQuery,
    sort_key=(Contract.updated_at, Contract.id),
)


async def contract_page(
    database: Database,
    caller: Caller,
    query: ContractQuery,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Contracts across parcours, as ContractRead's JSON, ordered by last update."""
    rows = await CONTRACT_PAGE.fetch(database, caller, query, after=after, limit=limit)
    return [contract_json(row) for row in rows]


@functools.cache
def contract_query(role: Role) -> CompiledQuery:
    statement = select(*CONTRACT_COLUMNS).where(
        Contract.id == bindparam("contract_id"),
        owned_by(Caller.of_role(role), Contract.structure_id),
    )
    return CompiledQuery.of(statement)


async def read_contract(
    connection: asyncpg.Connection, caller: Caller, contract_id: uuid.UUID
) -> dict[str, Any] | None:
    """The contract as ContractRead's JSON, avenants included, in one round trip."""
    row = await contract_query(caller.role).fetchrow(
        connection, contract_id=contract_id, **caller.parameters()
    )
    return None if row is None else contract_json(row)


def contract_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of CONTRACT_COLUMNS as ContractRead's JSON: the one place a contract is
    shaped (its avenants come as one array of row values)."""
    contract = dict(row)
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
    connection: asyncpg.Connection, caller: Caller, contract_id: uuid.UUID
) -> tuple[ContractKind, dt.date, dt.date | None, Decimal] | None:
    """What the hour rules read of a contract the caller may see."""
    row = await facts_query(caller.role).fetchrow(
        connection, contract_id=contract_id, **caller.parameters()
    )
    if row is None:
        return None
    return ContractKind(row["kind"]), row["start_date"], row["end_date"], row["weekly_hours"]


async def put_hours(
    connection: asyncpg.Connection, contract_id: uuid.UUID, month: dt.date, hours: Decimal
) -> dict[str, Any]:
    """One value per contract and month, in one statement: the same call twice stores
    it once, and the monthly aggregates follow by trigger."""
    row = await SET_HOURS_QUERY.fetchrow(
        connection, contract_id=contract_id, month=month, hours=hours
    )
    assert row is not None
    return hours_json(row)


def hours_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A contract's hours of a month as HoursRead's JSON: the one place they are shaped."""
    return {
        "contract_id": row["contract_id"],
        "month": row["month"].strftime("%Y-%m"),
        "hours": row["hours"],
    }


async def amend(
    session: AsyncSession, contract: Contract, amendment: ContractAmendment, changes: dict[str, Any]
) -> None:
    """Records the avenant and the contract's new terms (answered by read_contract)."""
    session.add(amendment)
    await save_changes(session, contract, changes, read_back=False)


async def sign(session: AsyncSession, contract: Contract) -> None:
    """Records a new contract (answered by read_contract)."""
    await insert_record(session, contract, read_back=False)


async def hours(
    session: AsyncSession, contract_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> list[dict[str, Any]]:
    statement = select(MonthlyHours.contract_id, MonthlyHours.month, MonthlyHours.hours).where(
        MonthlyHours.contract_id == contract_id
    )
    rows = await session.execute(keyset(statement, (MonthlyHours.month,), after, limit))
    return [hours_json(row._asdict()) for row in rows]


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
