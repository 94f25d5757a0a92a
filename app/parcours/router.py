import uuid
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response, status

from app.auth import Caller, PersonalReader, PersonalWriter
from app.db import DatabaseDep, SessionDep
from app.errors import found, problem_responses
from app.idempotency.admission import about_salarie
from app.lean import fast_path
from app.pagination import Page, PageDep, PageRequest, build_page, page_of
from app.parcours import repository, service
from app.parcours.models import Action, Derogation, FreinRecord, Objective, Parcours
from app.parcours.repository import ParcoursQuery
from app.parcours.rules import (
    DerogationFacts,
    check_derogation,
)
from app.parcours.schemas import (
    ActionCreate,
    ActionRead,
    ContractCreate,
    ContractRead,
    DerogationCreate,
    DerogationRead,
    ExitCreate,
    FreinCreate,
    FreinRead,
    FreinUpdate,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    ParcoursCreate,
    ParcoursRead,
)
from app.rendering import DirectJSONResponse
from app.routing import api_router
from app.rules import RulesDep, refuse_blocking
from app.salaries import repository as salaries
from app.salaries.privacy import refuse_if_pseudonymised

router = api_router(
    prefix="/v1/parcours",
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 413, 415)
LIST = "parcours"


@router.post(
    "",
    tags=["parcours"],
    status_code=status.HTTP_201_CREATED,
    summary="Open a parcours for a salarié",
    description="The entry falls within the validity of the salarié's latest eligibility "
    "diagnostic made by then (`POST /v1/salaries/{salarie_id}/diagnostics`), whose criteria "
    "make them eligible in the structure's kind: one level-1 criterion, or 2 level-2 "
    "criteria in an AI or ETTI, 3 elsewhere (else a 422 rules-broken problem: "
    "`eligibility_diagnostic_missing`, `eligibility_diagnostic_expired`, "
    "`eligibility_insufficient`). A salarié has one parcours under way at a time (409).",
    responses=WRITE_PROBLEMS,
)
async def open_parcours(
    body: ParcoursCreate,
    session: SessionDep,
    caller: PersonalWriter,
    rules: RulesDep,
    request: Request,
) -> ParcoursRead:
    await salaries.visible(session, caller, body.salarie_id)
    salarie = await salaries.lock(session, body.salarie_id)
    assert salarie is not None
    refuse_if_pseudonymised(salarie)
    about_salarie(request, salarie.id)
    parcours = await service.open_parcours(session, salarie, body.entry_date, rules)
    return ParcoursRead.model_validate(parcours)


@router.get(
    "",
    tags=["parcours"],
    summary="List parcours",
    description="A structure key: its own; admin: all.",
    response_model=Page[ParcoursRead],
)
@fast_path
async def list_parcours(
    database: DatabaseDep,
    caller: PersonalReader,
    query: Annotated[ParcoursQuery, Depends()],
    page: PageDep,
) -> Response:
    rows = await repository.page(database, caller, query, after=page.after(LIST), limit=page.limit)
    return DirectJSONResponse(page_of(rows, page, LIST, repository.PAGE.sort_key_names))


@router.get("/{parcours_id}", tags=["parcours"], summary="Read a parcours")
async def read_parcours(
    parcours_id: uuid.UUID, session: SessionDep, caller: PersonalReader
) -> ParcoursRead:
    return ParcoursRead.model_validate(await repository.visible(session, caller, parcours_id))


@router.post(
    "/{parcours_id}/exit",
    tags=["parcours"],
    summary="Record the exit",
    description="Once per parcours (409 after); the category is derived from the motif.",
    responses=WRITE_PROBLEMS,
)
async def record_exit(
    parcours_id: uuid.UUID,
    body: ExitCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> ParcoursRead:
    parcours = await _writable(session, caller, parcours_id, request)
    parcours = await service.record_exit(session, parcours, body)
    return ParcoursRead.model_validate(parcours)


@router.get("/{parcours_id}/contracts", tags=["contracts"], summary="List a parcours' contracts")
async def list_parcours_contracts(
    parcours_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[ContractRead]:
    await repository.visible(session, caller, parcours_id)
    rows = await repository.contracts(
        session, parcours_id, after=page.after("contracts"), limit=page.limit
    )
    items = [ContractRead.model_validate(row) for row in rows]
    return build_page(items, page, "contracts", lambda c: (c.start_date, c.id))


@router.post(
    "/{parcours_id}/contracts",
    tags=["contracts"],
    status_code=status.HTTP_201_CREATED,
    summary="Sign a contract",
    description="Every labour-law rule is checked; a blocking violation refuses the contract "
    "with a 422 listing them all, warnings are kept on it. `POST /v1/contracts/validate` "
    "runs the same check without writing.",
    responses=WRITE_PROBLEMS,
)
async def create_contract(
    parcours_id: uuid.UUID,
    body: ContractCreate,
    session: SessionDep,
    caller: PersonalWriter,
    rules: RulesDep,
    request: Request,
) -> ContractRead:
    parcours = await _writable(session, caller, parcours_id, request)
    contract_id = await service.sign_contract(session, parcours, body, rules)
    return await service.contract_read(session, caller, contract_id)


@router.get("/{parcours_id}/derogations", tags=["parcours"], summary="List a parcours' derogations")
async def list_derogations(
    parcours_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[DerogationRead]:
    return await _children(session, caller, parcours_id, page, Derogation, DerogationRead)


@router.post(
    "/{parcours_id}/derogations",
    tags=["parcours"],
    status_code=status.HTTP_201_CREATED,
    summary="Record a derogation",
    description="Beyond 24 months (50 or older, RQTH, particular difficulties, training "
    "under way) or under 20 hours a week (ACI préfet up to 12 months; another part-time job "
    "after 4 months, up to 6 months, not in an ETTI).",
    responses=WRITE_PROBLEMS,
)
async def create_derogation(
    parcours_id: uuid.UUID,
    body: DerogationCreate,
    session: SessionDep,
    caller: PersonalWriter,
    rules: RulesDep,
    request: Request,
) -> DerogationRead:
    parcours = await _writable(session, caller, parcours_id, request)
    facts = DerogationFacts(body.kind, body.start_date, body.end_date)
    refuse_blocking(check_derogation(facts, await service.situation(session, parcours), rules))
    derogation = await repository.add(
        session, Derogation(parcours_id=parcours.id, **body.model_dump())
    )
    return DerogationRead.model_validate(derogation)


@router.get("/{parcours_id}/actions", tags=["accompaniment"], summary="List accompaniment actions")
async def list_actions(
    parcours_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[ActionRead]:
    return await _children(session, caller, parcours_id, page, Action, ActionRead)


@router.post(
    "/{parcours_id}/actions",
    tags=["accompaniment"],
    status_code=status.HTTP_201_CREATED,
    summary="Record an accompaniment action",
    responses=WRITE_PROBLEMS,
)
async def create_action(
    parcours_id: uuid.UUID,
    body: ActionCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> ActionRead:
    parcours = await _writable(session, caller, parcours_id, request)
    action = await repository.add(session, Action(parcours_id=parcours.id, **body.model_dump()))
    return ActionRead.model_validate(action)


@router.get(
    "/{parcours_id}/freins",
    tags=["accompaniment"],
    summary="List freins (barriers) and whether lifted",
)
async def list_freins(
    parcours_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[FreinRead]:
    return await _children(session, caller, parcours_id, page, FreinRecord, FreinRead)


@router.post(
    "/{parcours_id}/freins",
    tags=["accompaniment"],
    status_code=status.HTTP_201_CREATED,
    summary="Record a frein identified",
    responses=WRITE_PROBLEMS,
)
async def create_frein(
    parcours_id: uuid.UUID,
    body: FreinCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> FreinRead:
    parcours = await _writable(session, caller, parcours_id, request)
    frein = await repository.add(session, FreinRecord(parcours_id=parcours.id, **body.model_dump()))
    return FreinRead.model_validate(frein)


@router.patch(
    "/{parcours_id}/freins/{frein_id}",
    tags=["accompaniment"],
    summary="Record that a frein was lifted (or not)",
    responses=WRITE_PROBLEMS,
)
async def update_frein(
    parcours_id: uuid.UUID,
    frein_id: uuid.UUID,
    body: FreinUpdate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> FreinRead:
    await _writable(session, caller, parcours_id, request)
    frein = found(
        await repository.child(session, FreinRecord, parcours_id, frein_id),
        "no frein with this id in this parcours",
    )
    await repository.update_child(session, frein, body.model_dump(exclude_unset=True))
    return FreinRead.model_validate(frein)


@router.get(
    "/{parcours_id}/objectives", tags=["accompaniment"], summary="List objectives and étapes"
)
async def list_parcours_objectives(
    parcours_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[ObjectiveRead]:
    return await _children(session, caller, parcours_id, page, Objective, ObjectiveRead)


@router.post(
    "/{parcours_id}/objectives",
    tags=["accompaniment"],
    status_code=status.HTTP_201_CREATED,
    summary="Set an objective or étape",
    responses=WRITE_PROBLEMS,
)
async def create_parcours_objective(
    parcours_id: uuid.UUID,
    body: ObjectiveCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> ObjectiveRead:
    parcours = await _writable(session, caller, parcours_id, request)
    objective = await repository.add(
        session, Objective(parcours_id=parcours.id, **body.model_dump())
    )
    return ObjectiveRead.model_validate(objective)


@router.patch(
    "/{parcours_id}/objectives/{objective_id}",
    tags=["accompaniment"],
    summary="Record that an objective was reached (or not)",
    responses=WRITE_PROBLEMS,
)
async def update_parcours_objective(
    parcours_id: uuid.UUID,
    objective_id: uuid.UUID,
    body: ObjectiveUpdate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> ObjectiveRead:
    await _writable(session, caller, parcours_id, request)
    objective = found(
        await repository.child(session, Objective, parcours_id, objective_id),
        "no objective with this id in this parcours",
    )
    await repository.update_child(session, objective, body.model_dump(exclude_unset=True))
    return ObjectiveRead.model_validate(objective)


async def _writable(
    session: SessionDep, caller: Caller, parcours_id: uuid.UUID, request: Request
) -> Parcours:
    """The parcours, for a write: its salarié locked (the checks across contracts hold
    until commit), refused once pseudonymised (their record no longer changes, free text
    included), and named as the subject of the answer."""
    salarie = found(
        await repository.lock_salarie_of_parcours(session, caller, parcours_id),
        repository.NO_PARCOURS,
    )
    refuse_if_pseudonymised(salarie)
    about_salarie(request, salarie.id)
    return await repository.visible(session, caller, parcours_id)


ChildRead = TypeVar("ChildRead", DerogationRead, ActionRead, FreinRead, ObjectiveRead)


async def _children(
    session: SessionDep,
    caller: Caller,
    parcours_id: uuid.UUID,
    page: PageRequest,
    model: type[Derogation] | type[Action] | type[FreinRecord] | type[Objective],
    schema: type[ChildRead],
) -> Page[ChildRead]:
    await repository.visible(session, caller, parcours_id)
    name = model.__tablename__
    rows = await repository.children(
        session, model, parcours_id, after=page.after(name), limit=page.limit
    )
    items = [schema.model_validate(row) for row in rows]
    return build_page(items, page, name, lambda item: (item.created_at, item.id))
