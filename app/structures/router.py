import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response, status
from pydantic import ValidationError

from app.auth import AdminWriter, Caller, Reader, Writer
from app.concurrency import IfMatch, check_if_match, etag, versioned
from app.db import DatabaseDep, SessionDep
from app.errors import Forbidden, NotFound, found, from_pydantic, problem_responses
from app.keys.models import Role
from app.lean import fast_path
from app.pagination import Page, PageDep, build_page
from app.reference.territory import validate_territory
from app.rendering import DirectJSONResponse
from app.routing import api_router
from app.rules import rules_of
from app.structures import repository, service
from app.structures.models import Antenne, Structure
from app.structures.repository import StructureQuery
from app.structures.schemas import (
    AnnexeCreate,
    AnnexeRead,
    AnnexeUpdate,
    AntenneCreate,
    AntenneRead,
    CapDerogationCreate,
    CapDerogationRead,
    StructureCreate,
    StructureRead,
    StructureUpdate,
)
from app.tombstones.models import SyncedResource
from app.tombstones.paging import sync_page, tombstones
from app.tombstones.schemas import SyncPage

router = api_router(
    prefix="/v1/structures",
    tags=["structures"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 412, 413, 415)
LIST = "structures"
NO_STRUCTURE = service.NO_STRUCTURE


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a structure (SIAE)",
    description="Admin only. The SIRET must be valid and new; the commune, département and "
    "région must exist and nest in each other.",
    responses={**WRITE_PROBLEMS, **versioned(201, created=True)},
)
async def create_structure(
    body: StructureCreate, session: SessionDep, caller: AdminWriter, response: Response
) -> StructureRead:
    structure = await service.register_structure(session, body)
    read, version = await service.structure_read(session, caller, structure.id)
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = f"{router.prefix}/{structure.id}"
    return read


@router.get(
    "",
    summary="List structures",
    description="Admin: all; a structure key: its own; a network key: those its network "
    "covers; a company key: any structure by exact `siret` (public fields). Ordered by last "
    "update, so that `updated_since` with the cursor syncs deltas.",
)
async def list_structures(
    session: SessionDep,
    database: DatabaseDep,
    caller: Reader,
    query: Annotated[StructureQuery, Depends()],
    page: PageDep,
) -> SyncPage[StructureRead]:
    rows = await repository.page(session, caller, query, after=page.after(LIST), limit=page.limit)
    items = [StructureRead.model_validate(service.structure_json(caller, row)) for row in rows]
    gone = await tombstones(
        database, caller, SyncedResource.structures, query.updated_since, page, LIST
    )
    return sync_page(items, gone, page, LIST, lambda s: (s.updated_at, s.id))


@router.get(
    "/{structure_id}",
    summary="Read a structure",
    response_model=StructureRead,
    responses={**versioned(200)},
)
@fast_path
async def read_structure(
    structure_id: uuid.UUID, database: DatabaseDep, caller: Reader
) -> Response:
    async with database.connection() as connection:
        row = found(await repository.read(connection, caller, structure_id), NO_STRUCTURE)
    return DirectJSONResponse(
        service.structure_json(caller, row), headers={"ETag": etag(row["version"])}
    )


@router.patch(
    "/{structure_id}",
    summary="Update a structure",
    description="Admin, or the structure's own key (which may not change `kind`). "
    "Send `If-Match` with the ETag you read to refuse a lost update (412).",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def update_structure(
    structure_id: uuid.UUID,
    body: StructureUpdate,
    session: SessionDep,
    caller: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> StructureRead:
    await _visible(session, caller, structure_id)
    _only_admin_or_own(caller, structure_id)
    changes = body.model_dump(exclude_unset=True, exclude={"contact"})
    if "kind" in changes and caller.role is not Role.admin:
        raise Forbidden("only an admin key changes a structure's kind")
    structure = await repository.lock(session, structure_id)
    assert structure is not None
    check_if_match(if_match, structure.version)
    if "commune_code" in changes:
        await validate_territory(
            session,
            commune_code=changes["commune_code"],
            departement_code=changes["departement_code"],
            region_code=changes["region_code"],
        )
    if "siret" in changes and changes["siret"] != structure.siret:
        await service.refuse_taken_siret(session, changes["siret"])
    if "contact" in body.model_fields_set:
        changes |= service.contact_columns(body.contact)
    await repository.update_structure(session, structure, changes)
    read, version = await service.structure_read(session, caller, structure_id)
    response.headers["ETag"] = etag(version)
    return read


@router.get("/{structure_id}/antennes", summary="List a structure's antennes")
async def list_antennes(
    structure_id: uuid.UUID, session: SessionDep, caller: Reader, page: PageDep
) -> Page[AntenneRead]:
    await _visible(session, caller, structure_id)
    rows = await repository.antennes(
        session, structure_id, after=page.after("antennes"), limit=page.limit
    )
    items = [AntenneRead.model_validate(row) for row in rows]
    return build_page(items, page, "antennes", lambda a: (a.created_at, a.id))


@router.post(
    "/{structure_id}/antennes",
    status_code=status.HTTP_201_CREATED,
    summary="Add an antenne (another establishment, with its own SIRET)",
    description="Admin, or the structure's own key.",
    responses=WRITE_PROBLEMS,
)
async def add_antenne(
    structure_id: uuid.UUID, body: AntenneCreate, session: SessionDep, caller: Writer
) -> AntenneRead:
    await _visible(session, caller, structure_id)
    _only_admin_or_own(caller, structure_id)
    await validate_territory(
        session,
        commune_code=body.commune_code,
        departement_code=body.departement_code,
        region_code=body.region_code,
    )
    await service.refuse_taken_siret(session, body.siret)
    antenne = await repository.add_antenne(
        session, Antenne(structure_id=structure_id, **body.model_dump())
    )
    return AntenneRead.model_validate(antenne)


@router.get(
    "/{structure_id}/annexes",
    summary="List a structure's annexes financières, with the aid each implies",
    description="Admin, the structure's own key, or a network key covering it.",
)
async def list_annexes(
    structure_id: uuid.UUID,
    session: SessionDep,
    caller: Reader,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[AnnexeRead]:
    structure = await _annexes_visible(session, caller, structure_id)
    rows = await repository.annexes(
        session, structure_id, year=year, after=page.after("annexes"), limit=page.limit
    )
    items = [await service.annexe_read(session, structure, row) for row in rows]
    return build_page(items, page, "annexes", lambda a: (a.start_date, a.id))


@router.post(
    "/{structure_id}/annexes",
    status_code=status.HTTP_201_CREATED,
    summary="Record an annexe financière",
    description="Admin only. The period lies within the year and overlaps no other annexe "
    "of the structure (409 naming it); the modulation is at most JALON_MAX_MODULATION_RATE %.",
    responses={**WRITE_PROBLEMS, **versioned(201)},
)
async def create_annexe(
    structure_id: uuid.UUID,
    body: AnnexeCreate,
    session: SessionDep,
    caller: AdminWriter,
    request: Request,
    response: Response,
) -> AnnexeRead:
    annexe, version = await service.add_annexe(
        session,
        structure_id,
        body,
        max_modulation_rate=request.app.state.settings.max_modulation_rate,
    )
    response.headers["ETag"] = etag(version)
    return annexe


@router.get(
    "/{structure_id}/annexes/{annexe_id}",
    summary="Read an annexe financière",
    responses={**versioned(200)},
)
async def read_annexe(
    structure_id: uuid.UUID,
    annexe_id: uuid.UUID,
    session: SessionDep,
    caller: Reader,
    response: Response,
) -> AnnexeRead:
    structure = await _annexes_visible(session, caller, structure_id)
    annexe = found(
        await repository.get_annexe(session, structure_id, annexe_id),
        "no annexe with this id for this structure",
    )
    response.headers["ETag"] = etag(annexe.version)
    return await service.annexe_read(session, structure, annexe)


@router.patch(
    "/{structure_id}/annexes/{annexe_id}",
    summary="Update an annexe financière",
    description="Admin only; `If-Match` honoured (412 on a stale ETag).",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def update_annexe(
    structure_id: uuid.UUID,
    annexe_id: uuid.UUID,
    body: AnnexeUpdate,
    session: SessionDep,
    caller: AdminWriter,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> AnnexeRead:
    structure = await repository.lock(session, structure_id)
    annexe = await repository.get_annexe(session, structure_id, annexe_id) if structure else None
    if structure is None or annexe is None:
        raise NotFound("no annexe with this id for this structure")
    check_if_match(if_match, annexe.version)
    changes = body.model_dump(exclude_unset=True)
    current = {field: getattr(annexe, field) for field in AnnexeCreate.model_fields}
    try:
        merged = AnnexeCreate.model_validate(current | changes)
    except ValidationError as error:
        raise from_pydantic(error) from None
    service.check_modulation(merged.modulation_rate, request.app.state.settings.max_modulation_rate)
    await service.refuse_overlap(
        session, structure_id, merged.start_date, merged.end_date, other_than=annexe.id
    )
    annexe = await repository.update_annexe(session, annexe, changes)
    response.headers["ETag"] = etag(annexe.version)
    return await service.annexe_read(session, structure, annexe)


@router.get(
    "/{structure_id}/ai-cap-derogations",
    summary="List the préfet's decisions lifting an AI's 480-hour cap",
    description="Admin, the structure's own key, or a network key covering it; by start.",
)
async def list_cap_derogations(
    structure_id: uuid.UUID, session: SessionDep, caller: Reader, page: PageDep
) -> Page[CapDerogationRead]:
    await _annexes_visible(session, caller, structure_id)
    rows = await repository.cap_derogations(
        session,
        structure_id,
        after=page.after(repository.CAP_DEROGATIONS),
        limit=page.limit,
    )
    items = [CapDerogationRead.model_validate(row) for row in rows]
    return build_page(items, page, repository.CAP_DEROGATIONS, lambda d: (d.start_date, d.id))


@router.post(
    "/{structure_id}/ai-cap-derogations",
    status_code=status.HTTP_201_CREATED,
    summary="Record a préfet's decision lifting an AI's 480-hour cap",
    description="Admin only, for an AI: for at most 3 years (a setting), renewable by a "
    "decision that starts after the one it renews ends. While it runs, the hours the AI "
    "places with one company are not capped at 480 h.",
    responses=WRITE_PROBLEMS,
)
async def create_cap_derogation(
    structure_id: uuid.UUID,
    body: CapDerogationCreate,
    session: SessionDep,
    caller: AdminWriter,
    request: Request,
) -> CapDerogationRead:
    derogation = await service.lift_ai_cap(session, structure_id, body, rules_of(request))
    return CapDerogationRead.model_validate(derogation)


async def _visible(session: SessionDep, caller: Caller, structure_id: uuid.UUID) -> Structure:
    return found(await repository.get_visible(session, caller, structure_id), NO_STRUCTURE)


async def _annexes_visible(
    session: SessionDep, caller: Caller, structure_id: uuid.UUID
) -> Structure:
    structure = await _visible(session, caller, structure_id)
    if caller.role is Role.company:
        raise NotFound(NO_STRUCTURE)
    return structure


def _only_admin_or_own(caller: Caller, structure_id: uuid.UUID) -> None:
    if caller.role is Role.admin:
        return
    if caller.role is not Role.structure or caller.structure_id != structure_id:
        raise Forbidden(f"a {caller.role.value} key may not change this structure")
