"""What the parcours routes compose: the context from the repository, the rules, and
the answer (refused with every violation, or kept with its warnings)."""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.db import driver_connection
from app.errors import Conflict
from app.parcours import repository
from app.parcours.models import Contract, ContractAmendment, Parcours
from app.parcours.rules import (
    CdiInclusionYear,
    ContractFacts,
    DerogationFacts,
    Situation,
    amendment_violations,
    check_contract,
    exit_violations,
    hours_violations,
)
from app.parcours.schemas import AmendmentCreate, ContractCreate, ContractRead, ExitCreate
from app.reference.enums import EXIT_CATEGORY_OF_MOTIF, ContractKind, ParcoursStatus
from app.rules import RuleParameters, Violation, refuse_blocking
from app.salaries import service as salaries
from app.salaries.models import Salarie
from app.structures import repository as structures


def facts_of(contract: Contract | ContractCreate) -> ContractFacts:
    if isinstance(contract, Contract):
        return ContractFacts(
            contract.kind, contract.start_date, contract.end_date, contract.weekly_hours
        )
    return ContractFacts(
        contract.kind, contract.start_date, contract.end_date, contract.weekly_hours
    )


async def situation(
    session: AsyncSession, parcours: Parcours, *, other_than: uuid.UUID | None = None
) -> Situation:
    context = await repository.context(session, parcours, other_than=other_than)
    return Situation(
        structure_kind=context.structure_kind,
        birth_date=context.birth_date,
        parcours_entry=parcours.entry_date,
        pass_start=context.pass_start,
        pass_end=context.pass_end,
        parcours_contracts=[facts_of(c) for c in context.parcours_contracts],
        structure_contracts=[facts_of(c) for c in context.structure_contracts],
        derogations=[
            DerogationFacts(d.kind, d.start_date, d.end_date) for d in context.derogations
        ],
    )


async def contract_violations(
    session: AsyncSession,
    parcours: Parcours,
    contract: ContractFacts,
    rules: RuleParameters,
    *,
    other_than: uuid.UUID | None = None,
) -> list[Violation]:
    """The one check behind the dry run, the creation and the amendments."""
    found = await situation(session, parcours, other_than=other_than)
    if contract.kind is ContractKind.cdi_inclusion:
        found = dataclasses.replace(
            found,
            cdi_inclusion_year=await cdi_inclusion_year(
                session, parcours.structure_id, contract.start.year, other_than=other_than
            ),
        )
    return check_contract(contract, found, rules)


async def cdi_inclusion_year(
    session: AsyncSession, structure_id: uuid.UUID, year: int, *, other_than: uuid.UUID | None
) -> CdiInclusionYear:
    etp, prefet_share = await structures.conventionnement_of_year(session, structure_id, year)
    hours = await repository.cdi_inclusion_weekly_hours(
        session, structure_id, year, other_than=other_than
    )
    return CdiInclusionYear(year, etp, prefet_share, hours)


async def contract_read(
    session: AsyncSession, caller: Caller, contract_id: uuid.UUID
) -> ContractRead:
    """The contract as a write answers it, in the write's transaction."""
    row = await repository.read_contract(await driver_connection(session), caller, contract_id)
    assert row is not None, "a contract written is visible to its writer"
    return ContractRead.model_validate(row)


async def open_parcours(
    session: AsyncSession, salarie: Salarie, entry_date: dt.date, rules: RuleParameters
) -> Parcours:
    """A parcours for the (locked) salarié, for the API and the demo: eligible in the
    structure's kind, and the only one under way."""
    structure = await structures.lock(session, salarie.structure_id)
    assert structure is not None
    refuse_blocking(
        await salaries.hire_violations(session, salarie, structure.kind, entry_date, rules)
    )
    current = await repository.open_parcours(session, salarie.id)
    if current is not None:
        raise Conflict(
            f"the salarié's parcours {current.id} is under way",
            extra={"existing_parcours_id": str(current.id)},
        )
    parcours = Parcours(
        salarie_id=salarie.id, structure_id=salarie.structure_id, entry_date=entry_date
    )
    return await repository.add(session, parcours)


async def sign_contract(
    session: AsyncSession, parcours: Parcours, body: ContractCreate, rules: RuleParameters
) -> uuid.UUID:
    """A contract of a parcours under way, for the API and the demo: refused with every
    blocking violation, kept with its warnings. Its id (read_contract answers it)."""
    if parcours.status is ParcoursStatus.sorti:
        raise Conflict(f"the parcours ended on {parcours.exit_date}")
    warnings = refuse_blocking(await contract_violations(session, parcours, facts_of(body), rules))
    contract = Contract(
        parcours_id=parcours.id,
        salarie_id=parcours.salarie_id,
        structure_id=parcours.structure_id,
        warnings=[w.model_dump() for w in warnings],
        **body.model_dump(),
    )
    await repository.sign(session, contract)
    return contract.id


async def record_exit(session: AsyncSession, parcours: Parcours, body: ExitCreate) -> Parcours:
    """The parcours' exit, once, on or after its entry, with its category."""
    if parcours.status is ParcoursStatus.sorti:
        raise Conflict(f"the exit was recorded on {parcours.exit_date}")
    refuse_blocking(exit_violations(parcours.entry_date, body.exit_date))
    changes = {
        "status": ParcoursStatus.sorti,
        "exit_date": body.exit_date,
        "exit_motif": body.motif,
        "exit_category": EXIT_CATEGORY_OF_MOTIF[body.motif],
    }
    return await repository.record_exit(session, parcours, changes)


async def record_hours(
    connection: asyncpg.Connection,
    caller: Caller,
    contract_id: uuid.UUID,
    month: dt.date,
    hours: Decimal,
    rules: RuleParameters,
) -> dict[str, Any] | None:
    """A contract's hours of a month (its first day), for the API and the demo: within
    the contract and the weekly maximum, as HoursRead's JSON; None when the caller may
    not see the contract."""
    facts = await repository.contract_facts(connection, caller, contract_id)
    if facts is None:
        return None
    refuse_blocking(hours_violations(ContractFacts(*facts), month, hours, rules))
    return await repository.put_hours(connection, contract_id, month, hours)


async def amend_contract(
    session: AsyncSession,
    parcours: Parcours,
    contract: Contract,
    body: AmendmentCreate,
    rules: RuleParameters,
) -> None:
    """An avenant: signed once the contract runs, its new terms checked against every
    rule as a whole contract (renewals count towards the totals), the history kept."""
    new_end = body.end_date if "end_date" in body.model_fields_set else contract.end_date
    new_hours = body.weekly_hours or contract.weekly_hours
    refuse_blocking(amendment_violations(body.signed_on, contract.start_date))
    facts = ContractFacts(contract.kind, contract.start_date, new_end, new_hours)
    warnings = refuse_blocking(
        await contract_violations(session, parcours, facts, rules, other_than=contract.id)
    )
    amendment = ContractAmendment(
        contract_id=contract.id,
        signed_on=body.signed_on,
        previous_end_date=contract.end_date,
        new_end_date=new_end,
        previous_weekly_hours=contract.weekly_hours,
        new_weekly_hours=new_hours,
    )
    changes = {
        "end_date": new_end,
        "weekly_hours": new_hours,
        "warnings": [w.model_dump() for w in warnings],
    }
    await repository.amend(session, contract, amendment, changes)
