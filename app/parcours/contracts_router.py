import datetime as dt
import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.auth import Caller, PersonalReader, PersonalWriter
from app.db import DatabaseDep, SessionDep
from app.errors import found, problem_responses
from app.idempotency.admission import about_salarie
from app.lean import fast_path
from app.pagination import Page, PageDep, build_page
from app.parcours import repository, service
from app.parcours.models import Contract
from app.parcours.repository import ContractQuery
from app.parcours.rules import ContractFacts
from app.parcours.schemas import (
    AmendmentCreate,
    CheckReport,
    ContractCheck,
    ContractRead,
    HoursRead,
    HoursSet,
)
from app.reference.enums import Severity
from app.reference.schemas import MonthInPath
from app.rendering import DirectJSONResponse
from app.routing import api_router
from app.rules import RulesDep, as_problems
from app.salaries.privacy import refuse_if_pseudonymised
from app.tombstones.paging import sync_page_of
from app.tombstones.schemas import SyncPage

router = api_router(
    prefix="/v1/contracts",
    tags=["contracts"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 413, 415)
LIST = "contracts_by_update"  # a cursor of its own: not the parcours list's order
NO_CONTRACT = "no contract with this id"


@router.post(
    "/validate",
    summary="Check a contract without writing it",
    description="The same check as signing it: `valid` is false when a blocking rule is "
    "broken. Nothing is written.",
    responses=problem_responses(400, 413, 415),
)
async def validate_contract(
    body: ContractCheck,
    session: SessionDep,
    caller: PersonalReader,
    rules: RulesDep,
    request: Request,
) -> CheckReport:
    parcours = await repository.visible(session, caller, body.parcours_id)
    about_salarie(request, parcours.salarie_id)
    facts = ContractFacts(body.kind, body.start_date, body.end_date, body.weekly_hours)
    violations = await service.contract_violations(session, parcours, facts, rules)
    return CheckReport(
        valid=not any(v.severity is Severity.blocking for v in violations),
        violations=as_problems(violations),
    )


@router.get(
    "",
    summary="List contracts across parcours",
    description="A structure key: its own; admin: all. Ordered by last update, for an HRIS "
    "to sync: page with the cursor, then `updated_since` the latest `updated_at` it holds. "
    "A contract is never deleted and stays with its structure: `deleted` is always empty.",
    response_model=SyncPage[ContractRead],
)
@fast_path
async def list_contracts(
    database: DatabaseDep,
    caller: PersonalReader,
    query: Annotated[ContractQuery, Depends()],
    page: PageDep,
) -> Response:
    rows = await repository.contract_page(
        database, caller, query, after=page.after(LIST), limit=page.limit
    )
    sort_key = repository.CONTRACT_PAGE.sort_key_names
    return DirectJSONResponse(sync_page_of(rows, [], page, LIST, sort_key))


@router.get(
    "/{contract_id}",
    summary="Read a contract, with its avenants and warnings",
    response_model=ContractRead,
)
@fast_path
async def read_contract(
    contract_id: uuid.UUID, database: DatabaseDep, caller: PersonalReader
) -> Response:
    async with database.connection() as connection:
        contract = found(
            await repository.read_contract(connection, caller, contract_id), NO_CONTRACT
        )
    return DirectJSONResponse(contract)


@router.post(
    "/{contract_id}/amendments",
    summary="Amend a contract (renewal, hours)",
    description="An avenant: the new terms are checked against every rule as a whole "
    "contract (renewals count towards the totals); the history is kept.",
    responses=WRITE_PROBLEMS,
)
async def amend_contract(
    contract_id: uuid.UUID,
    body: AmendmentCreate,
    session: SessionDep,
    caller: PersonalWriter,
    rules: RulesDep,
    request: Request,
) -> ContractRead:
    salarie = found(
        await repository.lock_salarie_of_contract(session, caller, contract_id), NO_CONTRACT
    )
    refuse_if_pseudonymised(salarie)
    about_salarie(request, salarie.id)
    contract = await visible_contract(session, caller, contract_id)
    parcours = await repository.visible(session, caller, contract.parcours_id)
    await service.amend_contract(session, parcours, contract, body, rules)
    return await service.contract_read(session, caller, contract_id)


@router.get("/{contract_id}/hours", summary="Hours worked, month by month")
async def list_contract_hours(
    contract_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[HoursRead]:
    await visible_contract(session, caller, contract_id)
    rows = await repository.hours(session, contract_id, after=page.after("hours"), limit=page.limit)
    items = [HoursRead.model_validate(row) for row in rows]
    return build_page(items, page, "hours", lambda h: (f"{h.month}-01",))


@router.put(
    "/{contract_id}/hours/{month}",
    summary="Record the hours worked in a month",
    description="Idempotent: the same call twice stores one value. A month the contract does "
    "not cover, or more than 48 h a week (a setting) over its days, is refused; so is a "
    "month the structure closed (409 `month-closed`: reopen it for a correction).",
    responses=problem_responses(400, 409, 413, 415),
    response_model=HoursRead,
)
@fast_path
async def set_contract_hours(
    contract_id: uuid.UUID,
    month: MonthInPath,
    body: HoursSet,
    database: DatabaseDep,
    caller: PersonalWriter,
    rules: RulesDep,
) -> Response:
    first_day = dt.date.fromisoformat(f"{month}-01")
    async with database.connection() as connection:
        hours = await service.record_hours(
            connection, caller, contract_id, first_day, body.hours, rules
        )
    return DirectJSONResponse(found(hours, NO_CONTRACT))


async def visible_contract(session: SessionDep, caller: Caller, contract_id: uuid.UUID) -> Contract:
    return found(
        await repository.get_contract_visible(session, caller, contract_id),
        NO_CONTRACT,
    )
