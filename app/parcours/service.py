"""What the parcours routes compose: the context from the repository, the rules, and
the answer (refused with every violation, or kept with its warnings)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.db import driver_connection
from app.parcours import repository
from app.parcours.models import Contract, Parcours
from app.parcours.rules import ContractFacts, DerogationFacts, Situation, check_contract
from app.parcours.schemas import ContractCreate, ContractRead
from app.rules import RuleParameters, Violation


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
    return check_contract(
        contract, await situation(session, parcours, other_than=other_than), rules
    )


async def contract_read(
    session: AsyncSession, caller: Caller, contract_id: uuid.UUID
) -> ContractRead:
    """The contract as a write answers it, in the write's transaction."""
    row = await repository.read_contract(await driver_connection(session), caller, contract_id)
    assert row is not None, "a contract written is visible to its writer"
    return ContractRead.model_validate(row)
