import datetime as dt
import uuid
from typing import Annotated

from fastapi import Depends, Request, Response, status

from app.auth import Caller, PersonalReader, PersonalWriter
from app.concurrency import IfMatch, check_if_match, etag, versioned
from app.db import DatabaseDep, SessionDep
from app.errors import (
    Conflict,
    Forbidden,
    UnknownReference,
    ValidationFailed,
    field_problem,
    found,
    problem_responses,
)
from app.idempotency.admission import about_salarie
from app.keys.models import Role
from app.pagination import Page, PageDep, build_page
from app.routing import api_router
from app.rules import rules_of
from app.salaries import repository, service
from app.salaries.models import PassIae, Salarie
from app.salaries.nir import nir_hash
from app.salaries.privacy import pseudonymise, refuse_if_pseudonymised
from app.salaries.repository import SalarieQuery
from app.salaries.schemas import (
    AdjustmentCreate,
    AdjustmentRead,
    DiagnosticCreate,
    DiagnosticRead,
    PassIaeRead,
    PassIaeSet,
    RefusedAdjustmentRead,
    SalarieCreate,
    SalarieRead,
    SalarieUpdate,
)
from app.structures import repository as structures
from app.tombstones.models import SyncedResource
from app.tombstones.paging import sync_page, tombstones
from app.tombstones.schemas import SyncPage

router = api_router(
    prefix="/v1/salaries",
    tags=["salaries"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 412, 413, 415)
LIST = "salaries"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a salarié",
    description="A structure key registers its own salariés; an admin key names the "
    "structure. A NIR is validated and kept only as a keyed hash. The same NIR, or the "
    "same names and birth date, in the structure is a 409 naming the existing salarié.",
    responses={**WRITE_PROBLEMS, **versioned(201, created=True)},
)
async def create_salarie(
    body: SalarieCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
    response: Response,
) -> SalarieRead:
    structure_id = await _target_structure(session, caller, body.structure_id)
    salarie = await service.register_salarie(session, structure_id, body, _nir_key(request))
    about_salarie(request, salarie.id)
    response.headers["ETag"] = etag(salarie.version)
    response.headers["Location"] = f"{router.prefix}/{salarie.id}"
    return _read(salarie)


@router.get("", summary="List salariés", description="A structure key: its own; admin: all.")
async def list_salaries(
    session: SessionDep,
    database: DatabaseDep,
    caller: PersonalReader,
    query: Annotated[SalarieQuery, Depends()],
    page: PageDep,
) -> SyncPage[SalarieRead]:
    rows = await repository.page(session, caller, query, after=page.after(LIST), limit=page.limit)
    gone = await tombstones(
        database, caller, SyncedResource.salaries, query.updated_since, page, LIST
    )
    return sync_page([_read(row) for row in rows], gone, page, LIST, lambda s: (s.updated_at, s.id))


@router.get("/{salarie_id}", summary="Read a salarié", responses={**versioned(200)})
async def read_salarie(
    salarie_id: uuid.UUID, session: SessionDep, caller: PersonalReader, response: Response
) -> SalarieRead:
    salarie = await repository.visible(session, caller, salarie_id)
    response.headers["ETag"] = etag(salarie.version)
    return _read(salarie)


@router.patch(
    "/{salarie_id}",
    summary="Update a salarié",
    description="`If-Match` honoured (412 on a stale ETag).",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def update_salarie(
    salarie_id: uuid.UUID,
    body: SalarieUpdate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> SalarieRead:
    await repository.visible(session, caller, salarie_id)
    salarie = await repository.lock(session, salarie_id)
    assert salarie is not None
    refuse_if_pseudonymised(salarie)
    check_if_match(if_match, salarie.version)
    changes = body.model_dump(exclude_unset=True, exclude={"nir"})
    if "nir" in body.model_fields_set:
        changes["nir_hash"] = nir_hash(_nir_key(request), body.nir) if body.nir else None
    await service.refuse_duplicate(
        session,
        salarie.structure_id,
        changes.get("nir_hash", salarie.nir_hash),
        changes.get("first_name", salarie.first_name),
        changes.get("last_name", salarie.last_name),
        changes.get("birth_date", salarie.birth_date),
        other_than=salarie.id,
    )
    salarie = await repository.update_salarie(session, salarie, changes)
    response.headers["ETag"] = etag(salarie.version)
    return _read(salarie)


@router.get("/{salarie_id}/pass-iae", summary="Read the salarié's PASS IAE")
async def read_pass_iae(
    salarie_id: uuid.UUID, session: SessionDep, caller: PersonalReader
) -> PassIaeRead:
    await repository.visible(session, caller, salarie_id)
    pass_iae = found(await repository.pass_of(session, salarie_id), "this salarié has no PASS IAE")
    return await _pass_read(session, pass_iae)


@router.put(
    "/{salarie_id}/pass-iae",
    summary="Set the salarié's PASS IAE",
    description="Creates or replaces it; its end is start + 730 - 1 days (a setting), moved "
    "by its suspensions and prolongations.",
    responses=WRITE_PROBLEMS,
)
async def set_pass_iae(
    salarie_id: uuid.UUID,
    body: PassIaeSet,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> PassIaeRead:
    await repository.visible(session, caller, salarie_id)
    salarie = await _lock_identified(session, salarie_id)
    pass_iae = await service.set_pass(session, salarie, body, rules_of(request))
    return await _pass_read(session, pass_iae)


@router.post(
    "/{salarie_id}/pass-iae/adjustments",
    status_code=status.HTTP_201_CREATED,
    summary="Suspend or prolong the PASS IAE",
    description="Each moves the end by its length, within its motive's limits "
    "(settings): a suspension lasts at most 36 months and is recorded at most 365 days "
    "after it started, within the PASS IAE's validity; a prolongation starts the day after "
    "the current end, lasts at most 12 months per request and, in all, per motive: until "
    "the training ends (`training_end_date`), 3 years for RQTH and for particular "
    "difficulties (AI and ACI only), 5 years for a person of 50 or older, with no limit for "
    "a CDI inclusion at 57 or older. A refused request is a 422 listing the rules broken, "
    "and is kept with them under `refused` in the PASS IAE.",
    responses=WRITE_PROBLEMS,
)
async def add_pass_adjustment(
    salarie_id: uuid.UUID,
    body: AdjustmentCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> PassIaeRead:
    await repository.visible(session, caller, salarie_id)
    salarie = await _lock_identified(session, salarie_id)
    about_salarie(request, salarie_id)
    pass_iae = found(await repository.pass_of(session, salarie_id), "this salarié has no PASS IAE")
    await service.adjust_pass(session, salarie, pass_iae, body, rules_of(request), dt.date.today())
    return await _pass_read(session, pass_iae)


@router.post(
    "/{salarie_id}/diagnostics",
    status_code=status.HTTP_201_CREATED,
    summary="Record an eligibility diagnostic",
    description="Who made it (`prescripteur`: valid 6 months; `siae`: 92 days, settings), "
    "when, and the criteria found, each `certified` or not by a state source. Its criteria "
    "must make the salarié eligible in the structure's kind. A parcours opens only within "
    "the validity of the latest diagnostic made by its entry date: without one, it is "
    "refused (`eligibility_diagnostic_missing`).",
    responses=WRITE_PROBLEMS,
)
async def create_diagnostic(
    salarie_id: uuid.UUID,
    body: DiagnosticCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> DiagnosticRead:
    await repository.visible(session, caller, salarie_id)
    salarie = await _lock_identified(session, salarie_id)
    about_salarie(request, salarie_id)
    rules = rules_of(request)
    diagnostic = await service.record_diagnostic(session, salarie, body, rules, dt.date.today())
    return service.diagnostic_read(diagnostic, rules)


@router.get(
    "/{salarie_id}/diagnostics",
    summary="List the salarié's eligibility diagnostics",
    description="Oldest first, by the day each was made.",
)
async def list_diagnostics(
    salarie_id: uuid.UUID,
    session: SessionDep,
    caller: PersonalReader,
    page: PageDep,
    request: Request,
) -> Page[DiagnosticRead]:
    await repository.visible(session, caller, salarie_id)
    rows = await repository.diagnostics_page(
        session,
        salarie_id,
        after=page.after(repository.DIAGNOSTICS),
        limit=page.limit,
    )
    rules = rules_of(request)
    return build_page(
        [service.diagnostic_read(row, rules) for row in rows],
        page,
        repository.DIAGNOSTICS,
        lambda d: (d.made_on, d.id),
    )


@router.delete(
    "/{salarie_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Pseudonymise a salarié",
    description="On the person's request: names, birth date, NIR hash, France Travail id, "
    "commune, PASS IAE number and the free text of their parcours are removed for good; "
    "parcours, contracts and hours stay, so indicators do not change. The record then "
    "reads with those fields null and `pseudonymised_at` set, and refuses changes. A "
    "parcours under way is a 409: record its exit first. Repeating it is a 204.",
    responses=problem_responses(409),
)
async def pseudonymise_salarie(
    salarie_id: uuid.UUID, session: SessionDep, caller: PersonalWriter
) -> Response:
    await repository.visible(session, caller, salarie_id)
    await repository.lock(session, salarie_id)
    if await repository.has_open_parcours(session, salarie_id):
        raise Conflict("the salarié's parcours is under way: record its exit first")
    await pseudonymise(session, [salarie_id])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _target_structure(
    session: SessionDep, caller: Caller, requested: uuid.UUID | None
) -> uuid.UUID:
    if caller.role is Role.structure:
        assert caller.structure_id is not None
        if requested not in (None, caller.structure_id):
            raise Forbidden("a structure key registers its own salariés only")
        return caller.structure_id
    if requested is None:
        raise ValidationFailed(
            "name the structure",
            errors=[field_problem("structure_id", "required for an admin key")],
        )
    if not await structures.existing_ids(session, [requested]):
        raise UnknownReference(
            "unknown structure", errors=[field_problem("structure_id", "no such structure")]
        )
    return requested


async def _lock_identified(session: SessionDep, salarie_id: uuid.UUID) -> Salarie:
    """The salarié, locked for a write, which a pseudonymised one refuses."""
    salarie = await repository.lock(session, salarie_id)
    assert salarie is not None
    refuse_if_pseudonymised(salarie)
    return salarie


def _nir_key(request: Request) -> bytes:
    key: bytes = request.app.state.nir_key
    return key


def _read(salarie: Salarie) -> SalarieRead:
    return SalarieRead.model_validate(
        {
            **{c: getattr(salarie, c) for c in SalarieRead.model_fields if c != "has_nir"},
            "has_nir": salarie.nir_hash is not None,
        }
    )


async def _pass_read(session: SessionDep, pass_iae: PassIae) -> PassIaeRead:
    kept = await repository.adjustments(session, pass_iae.id)
    refused = await repository.adjustments(session, pass_iae.id, refused=True)
    return PassIaeRead(
        number=pass_iae.number,
        start_date=pass_iae.start_date,
        prescriber_orientation=pass_iae.prescriber_orientation,
        end_date=pass_iae.end_date,
        adjustments=[AdjustmentRead.model_validate(a) for a in kept],
        refused=[RefusedAdjustmentRead.model_validate(a) for a in refused],
    )
