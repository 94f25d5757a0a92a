import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

import orjson
from fastapi import Depends, Path, Query, Request, Response, status
from pydantic import ValidationError

from app import deprecation
from app.audit.entry import names_of
from app.audit.in_transaction import nothing_written
from app.auth import Caller, require
from app.companies import repository as companies
from app.concurrency import IfMatch, check_if_match, etag, versioned
from app.db import DatabaseDep, SessionDep, driver_connection
from app.errors import (
    BadRequest,
    BatchRejected,
    Conflict,
    Forbidden,
    PayloadTooLarge,
    Problem,
    UnknownReference,
    UnsupportedMediaType,
    ValidationFailed,
    field_problem,
    found,
    from_pydantic,
    problem_responses,
)
from app.keys.models import Role, Scope
from app.lean import fast_path
from app.missions import repository, service
from app.missions.models import Mission
from app.missions.repository import MissionQuery
from app.missions.rules import allowed_next, may_move
from app.missions.schemas import (
    AssignmentCreate,
    BatchProblem,
    BulkReport,
    MissionCreate,
    MissionHoursSet,
    MissionHoursSummary,
    MissionInput,
    MissionRead,
    MissionUpdate,
    MonthHours,
    SalarieHoursRead,
    StatusChange,
)
from app.pagination import PageDep
from app.reference.schemas import MonthInPath, QueryFlag
from app.rendering import DirectJSONResponse
from app.routing import api_router
from app.rules import RulesDep
from app.salaries import repository as salaries
from app.tombstones.models import SyncedResource
from app.tombstones.paging import sync_page_of, tombstones
from app.tombstones.schemas import SyncPage

router = api_router(
    prefix="/v1/missions",
    tags=["missions"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 412, 413, 415)
LIST = "missions"
MissionReader = Annotated[
    Caller, Depends(require(Role.admin, Role.company, Role.structure, scope=Scope.read))
]
CompanyWriter = Annotated[Caller, Depends(require(Role.admin, Role.company, scope=Scope.write))]
StructureWriter = Annotated[Caller, Depends(require(Role.admin, Role.structure, scope=Scope.write))]
StatusWriter = Annotated[
    Caller, Depends(require(Role.admin, Role.company, Role.structure, scope=Scope.write))
]
CompanyParam = Annotated[uuid.UUID | None, Query(description="Admin keys: the company")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Propose a mission to a structure",
    description="A company key proposes missions for itself; an admin key names the company. "
    "An `external_ref` already used by the company is a 409 (use PUT /by-ref to upsert). "
    "Send `Idempotency-Key` to retry safely.",
    responses={**WRITE_PROBLEMS, **versioned(201, created=True)},
    response_model=MissionRead,
)
@fast_path
async def create_mission(
    body: MissionCreate, database: DatabaseDep, caller: CompanyWriter
) -> Response:
    company_id = own_company(caller, body.company_id)
    if company_id is None:
        if body.company_id is None or not await companies.exists(database, body.company_id):
            raise _unknown_company(body.company_id)
        company_id = body.company_id
    async with database.connection() as connection:
        written = await service.write_mission(
            connection, body, body.external_ref, company_id, replace=False
        )
    mission, version = written.shown
    return DirectJSONResponse(
        mission,
        status_code=status.HTTP_201_CREATED,
        headers={"ETag": etag(version), "Location": f"{router.prefix}/{mission['id']}"},
    )


@router.put(
    "/by-ref/{external_ref}",
    summary="Create or replace a mission by the company's own reference",
    description="Replaying a whole feed creates nothing twice: 201 when created, 200 when "
    "replaced or unchanged. `If-Match` is honoured when the mission exists.",
    responses={
        **WRITE_PROBLEMS,
        **versioned(200),
        201: {"description": "Created", "model": MissionRead, **versioned(201)[201]},
    },
)
async def upsert_mission(
    external_ref: Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")],
    body: MissionInput,
    session: SessionDep,
    caller: CompanyWriter,
    response: Response,
    company_id: CompanyParam = None,
    if_match: IfMatch = None,
) -> MissionRead:
    owner = await _company_of(session, caller, company_id)
    existing = await repository.lock_by_ref(session, owner, external_ref)
    if existing is not None:
        check_if_match(if_match, existing.version)
    connection = await driver_connection(session)
    written = await service.write_mission(connection, body, external_ref, owner, replace=True)
    response.status_code = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
    return _answer(written.shown, response)


BULK_RESPONSES = {
    **problem_responses(400, 413, 415),
    **problem_responses(422, schema=BatchProblem),
}
BULK_DESCRIPTION = (
    "Each item is answered: created, updated, unchanged, or error with its problem. "
    "`mode=atomic` writes all or nothing (a `batch-rejected` problem carries the report); "
    "`mode=partial` writes the valid items. `dry_run=true` checks and predicts the outcomes "
    "without writing."
)
NDJSON = "application/x-ndjson"
BULK_PATHS = ("/v1/missions/bulk", "/v1/missions/bulk/ndjson")  # larger bodies allowed
# NDJSON sent to /v1/missions/bulk, as before 0.2.0: still read, until the sunset
NDJSON_ON_BULK = deprecation.Deprecation(announced=dt.date(2026, 12, 2), sunset=dt.date(2027, 6, 1))
BatchMode = Annotated[Literal["atomic", "partial"], Query()]


@dataclass(frozen=True)
class BatchOptions:
    """The query of a batch, however its items are sent."""

    mode: BatchMode = "atomic"
    dry_run: Annotated[QueryFlag, Query()] = False
    company_id: CompanyParam = None


BatchQuery = Annotated[BatchOptions, Depends()]


@router.post(
    "/bulk",
    response_model=BulkReport,
    summary="Create or replace up to 10 000 missions, as a JSON array",
    description=BULK_DESCRIPTION + " NDJSON goes to `/v1/missions/bulk/ndjson`; sent here, "
    "it is still read until 2027-06-01, with `Deprecation` and `Sunset` headers.",
    responses=deprecation.declared(BULK_RESPONSES, 200, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/MissionCreate"},
                        "maxItems": 10000,
                    }
                }
            },
        }
    },
)
async def bulk_missions(
    request: Request, session: SessionDep, caller: CompanyWriter, options: BatchQuery
) -> Response:
    if _media_type(request) == NDJSON:
        items = await _ndjson_items(request)
        return await _batch(request, session, caller, items, options, NDJSON_ON_BULK.headers())
    items = await _json_items(request)
    return await _batch(request, session, caller, items, options)


@router.post(
    "/bulk/ndjson",
    response_model=BulkReport,
    summary="Create or replace up to 10 000 missions, as NDJSON",
    description="One mission per line, read as it streams in. " + BULK_DESCRIPTION,
    responses=BULK_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                NDJSON: {
                    "schema": {
                        "type": "string",
                        "format": "binary",
                        "description": "One MissionCreate (#/components/schemas/MissionCreate) "
                        "per line, as JSON",
                    }
                }
            },
        }
    },
)
async def bulk_missions_ndjson(
    request: Request, session: SessionDep, caller: CompanyWriter, options: BatchQuery
) -> Response:
    items = await _ndjson_items(request)
    return await _batch(request, session, caller, items, options)


async def _batch(
    request: Request,
    session: SessionDep,
    caller: Caller,
    items: list[object],
    options: BatchOptions,
    headers: dict[str, str] | None = None,
) -> Response:
    mode, dry_run = options.mode, options.dry_run
    owner = await _company_of(session, caller, options.company_id)
    request.state.audit_fields = names_of(items)
    connection = await driver_connection(session)
    report = await service.bulk(connection, items, company_id=owner, mode=mode, dry_run=dry_run)
    if not report["written"]:
        nothing_written(request)
    errors = report["counts"]["error"]
    if mode == "atomic" and errors:
        raise BatchRejected(
            f"{errors} of {len(items)} items have errors: nothing was written",
            extra=report,
            headers=headers,
        )
    return Response(
        orjson.dumps(report, default=str), media_type="application/json", headers=headers
    )


@router.get(
    "",
    summary="List missions",
    description="A company: its missions; a structure: those given to it; admin: all. "
    "Ordered by last update: page with the cursor, sync with `updated_since`.",
    response_model=SyncPage[MissionRead],
)
@fast_path
async def list_missions(
    database: DatabaseDep,
    caller: MissionReader,
    query: Annotated[MissionQuery, Depends()],
    page: PageDep,
) -> Response:
    rows = await repository.page(database, caller, query, after=page.after(LIST), limit=page.limit)
    gone = await tombstones(
        database, caller, SyncedResource.missions, query.updated_since, page, LIST
    )
    return DirectJSONResponse(sync_page_of(rows, gone, page, LIST, repository.PAGE.sort_key_names))


@router.get("/{mission_id}", summary="Read a mission", responses={**versioned(200)})
async def read_mission(
    mission_id: uuid.UUID, database: DatabaseDep, caller: MissionReader, response: Response
) -> MissionRead:
    async with database.connection() as connection:
        shown = await repository.read(connection, caller, mission_id)
    return _answer(found(shown, NO_MISSION), response)


@router.patch(
    "/{mission_id}",
    summary="Change a mission's terms",
    description="The company (or admin); `If-Match` honoured (412 on a stale ETag).",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def update_mission(
    mission_id: uuid.UUID,
    body: MissionUpdate,
    session: SessionDep,
    caller: CompanyWriter,
    response: Response,
    if_match: IfMatch = None,
) -> MissionRead:
    await repository.lock(session, mission_id)
    connection = await driver_connection(session)
    shown = found(await repository.read(connection, caller, mission_id), NO_MISSION)
    check_if_match(if_match, shown.version)
    current = {name: shown.mission[name] for name in MissionInput.model_fields}
    try:
        merged = MissionInput.model_validate(current | body.model_dump(exclude_unset=True))
    except ValidationError as error:
        raise from_pydantic(error) from None
    written = await service.write_mission(
        connection, merged, shown.mission["external_ref"], shown.mission["company_id"], replace=True
    )
    return _answer(written.shown, response)


@router.post(
    "/{mission_id}/status",
    summary="Move a mission along: accept, start, finish, decline or cancel",
    description="proposee -> acceptee -> en_cours -> terminee, or annulee. The structure "
    "accepts, declines, starts and finishes; the company cancels. A move the status machine "
    "does not allow is a 409 listing the allowed ones.",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def change_mission_status(
    mission_id: uuid.UUID,
    body: StatusChange,
    session: SessionDep,
    caller: StatusWriter,
    response: Response,
) -> MissionRead:
    await _visible(session, caller, mission_id)
    mission = await repository.lock(session, mission_id)
    assert mission is not None
    allowed = allowed_next(mission.status)
    if body.status not in allowed:
        raise Conflict(
            f"a {mission.status.value} mission cannot become {body.status.value}",
            extra={"allowed": [s.value for s in allowed]},
        )
    if not may_move(caller.role, body.status):
        raise Forbidden(f"a {caller.role.value} key may not make a mission {body.status.value}")
    shown = await repository.set_status(await driver_connection(session), mission.id, body.status)
    return _answer(shown, response)


@router.post(
    "/{mission_id}/assignments",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Assign one of the structure's salariés to the mission",
    responses=WRITE_PROBLEMS,
)
async def assign_salarie(
    mission_id: uuid.UUID, body: AssignmentCreate, session: SessionDep, caller: StructureWriter
) -> None:
    mission = await _visible(session, caller, mission_id)
    await _structure_salarie(session, caller, mission, body.salarie_id)
    await repository.assign(session, mission.id, body.salarie_id)


@router.put(
    "/{mission_id}/assignments/{salarie_id}/hours/{month}",
    summary="Record a salarié's hours on the mission in a month",
    description="Idempotent. For an AI, a salarié placed with one company works at most 480 h "
    "over the 24 months after the first placement (a warning from 400 h), except for "
    "private individuals, associations and local authorities.",
    responses=problem_responses(400, 409, 413, 415),
)
async def set_mission_hours(
    mission_id: uuid.UUID,
    salarie_id: uuid.UUID,
    month: MonthInPath,
    body: MissionHoursSet,
    session: SessionDep,
    caller: StructureWriter,
    rules: RulesDep,
) -> SalarieHoursRead:
    mission = await _visible(session, caller, mission_id)
    first_day = dt.date.fromisoformat(f"{month}-01")
    warnings = await service.record_mission_hours(
        session, mission, salarie_id, first_day, body.hours, rules
    )
    return SalarieHoursRead(salarie_id=salarie_id, month=month, hours=body.hours, warnings=warnings)


@router.get(
    "/{mission_id}/hours",
    summary="Hours worked on the mission",
    description="Totals by month and the number of salariés; per salarié for the structure "
    "and admin only: a company never sees who.",
)
async def list_mission_hours(
    mission_id: uuid.UUID, session: SessionDep, caller: MissionReader
) -> MissionHoursSummary:
    mission = await _visible(session, caller, mission_id)
    months = await repository.hours_by_month(session, mission.id)
    by_salarie = None
    if caller.role is not Role.company:
        by_salarie = [
            SalarieHoursRead(salarie_id=s, month=m.strftime("%Y-%m"), hours=h)
            for s, m, h in await repository.hours_by_salarie(session, mission.id)
        ]
    return MissionHoursSummary(
        mission_id=mission.id,
        assigned_salaries=await repository.assigned_count(session, mission.id),
        total_hours=sum((h for _, h, _ in months), start=Decimal(0)),
        months=[MonthHours(month=m.strftime("%Y-%m"), hours=h, salaries=n) for m, h, n in months],
        by_salarie=by_salarie,
    )


NO_MISSION = "no mission with this id"


async def _visible(session: SessionDep, caller: Caller, mission_id: uuid.UUID) -> Mission:
    return found(await repository.get_visible(session, caller, mission_id), NO_MISSION)


def _answer(shown: repository.Shown, response: Response) -> MissionRead:
    response.headers["ETag"] = etag(shown.version)
    return MissionRead.model_validate(shown.mission)


def own_company(caller: Caller, requested: uuid.UUID | None) -> uuid.UUID | None:
    """A company key's own company (refusing another); None for an admin key, which
    names the company."""
    if caller.role is not Role.company:
        return None
    assert caller.company_id is not None
    if requested not in (None, caller.company_id):
        raise Forbidden("a company key writes its own missions only")
    return caller.company_id


def _unknown_company(requested: uuid.UUID | None, *, location: str = "body") -> Problem:
    where = {"location": location}
    if requested is None:
        return ValidationFailed(
            "name the company",
            errors=[field_problem("company_id", "required for an admin key", **where)],
        )
    return UnknownReference(
        "unknown company", errors=[field_problem("company_id", "no such company", **where)]
    )


async def _company_of(
    session: SessionDep, caller: Caller, requested: uuid.UUID | None
) -> uuid.UUID:
    """The company of a write that names it in the query (by reference, a batch)."""
    company_id = own_company(caller, requested)
    if company_id is not None:
        return company_id
    if requested is None or await companies.lock(session, requested) is None:
        raise _unknown_company(requested, location="query")
    return requested


async def _structure_salarie(
    session: SessionDep, caller: Caller, mission: Mission, salarie_id: uuid.UUID
) -> None:
    salarie = await salaries.get_visible(session, caller, salarie_id)
    if salarie is None or salarie.structure_id != mission.structure_id:
        raise UnknownReference(
            "the salarié is not one of the mission's structure",
            errors=[field_problem("salarie_id", "not a salarié of the mission's structure")],
        )


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _json_items(request: Request) -> list[object]:
    try:
        parsed = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(parsed, list):
        raise BadRequest("send a JSON array of missions")
    _refuse_too_many(parsed)
    return parsed


async def _ndjson_items(request: Request) -> list[object]:
    """The batch parsed line by line as it streams in."""
    if _media_type(request) != NDJSON:
        raise UnsupportedMediaType(f"send {NDJSON}, one mission per line")
    items: list[object] = []
    pending = b""
    try:
        async for chunk in request.stream():
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            items.extend(orjson.loads(line) for line in lines if line.strip())
            _refuse_too_many(items)
        if pending.strip():
            items.append(orjson.loads(pending))
    except orjson.JSONDecodeError:
        raise BadRequest("a line of the body is not valid JSON") from None
    _refuse_too_many(items)
    return items


def _refuse_too_many(items: list[object]) -> None:
    if len(items) > service.MAX_BULK_ITEMS:
        raise PayloadTooLarge(f"a batch holds at most {service.MAX_BULK_ITEMS} missions")
