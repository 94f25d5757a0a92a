import uuid
from typing import Annotated

from fastapi import Depends, Response, status

from app.auth import AdminWriter, Caller, Reader, Writer
from app.companies import repository, service
from app.companies.models import Company
from app.companies.repository import CompanyQuery
from app.companies.schemas import CompanyCreate, CompanyRead, CompanyUpdate
from app.concurrency import IfMatch, check_if_match, etag, versioned
from app.db import DatabaseDep, SessionDep
from app.errors import Forbidden, found, problem_responses
from app.keys.models import Role
from app.pagination import PageDep
from app.reference.territory import validate_region
from app.routing import api_router
from app.tombstones.models import SyncedResource
from app.tombstones.paging import sync_page, tombstones
from app.tombstones.schemas import SyncPage

router = api_router(
    prefix="/v1/companies",
    tags=["companies"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 412, 413, 415)
LIST = "companies"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a client company",
    description="Admin only. A SIRET is registered once (409 naming the company that has it).",
    responses={**WRITE_PROBLEMS, **versioned(201, created=True)},
)
async def create_company(
    body: CompanyCreate, session: SessionDep, caller: AdminWriter, response: Response
) -> CompanyRead:
    company = await service.register_company(session, body)
    response.headers["ETag"] = etag(company.version)
    response.headers["Location"] = f"{router.prefix}/{company.id}"
    return CompanyRead.model_validate(company)


@router.get(
    "",
    summary="List client companies",
    description="Admin: all; a company key: its own. Ordered by last update for delta syncs.",
)
async def list_companies(
    session: SessionDep,
    database: DatabaseDep,
    caller: Reader,
    query: Annotated[CompanyQuery, Depends()],
    page: PageDep,
) -> SyncPage[CompanyRead]:
    rows = await repository.page(session, caller, query, after=page.after(LIST), limit=page.limit)
    items = [CompanyRead.model_validate(row) for row in rows]
    gone = await tombstones(
        database, caller, SyncedResource.companies, query.updated_since, page, LIST
    )
    return sync_page(items, gone, page, LIST, lambda c: (c.updated_at, c.id))


@router.get("/{company_id}", summary="Read a client company", responses={**versioned(200)})
async def read_company(
    company_id: uuid.UUID, session: SessionDep, caller: Reader, response: Response
) -> CompanyRead:
    company = await _visible(session, caller, company_id)
    response.headers["ETag"] = etag(company.version)
    return CompanyRead.model_validate(company)


@router.patch(
    "/{company_id}",
    summary="Update a client company",
    description="Admin, or the company's own key; `If-Match` honoured (412 on a stale ETag).",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def update_company(
    company_id: uuid.UUID,
    body: CompanyUpdate,
    session: SessionDep,
    caller: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> CompanyRead:
    await _visible(session, caller, company_id)
    if caller.role is not Role.admin and caller.company_id != company_id:
        raise Forbidden(f"a {caller.role.value} key may not change this company")
    changes = body.model_dump(exclude_unset=True)
    if "region_code" in changes:
        await validate_region(session, changes["region_code"])
    company = await repository.lock(session, company_id)
    assert company is not None
    check_if_match(if_match, company.version)
    company = await repository.update_company(session, company, changes)
    response.headers["ETag"] = etag(company.version)
    return CompanyRead.model_validate(company)


async def _visible(session: SessionDep, caller: Caller, company_id: uuid.UUID) -> Company:
    return found(
        await repository.get_visible(session, caller, company_id), "no company with this id"
    )
