import uuid
from typing import Annotated

from fastapi import Query

from app.audit import repository
from app.audit.repository import AuditFilters
from app.audit.schemas import AuditEntryRead
from app.auth import AdminReader
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, build_page
from app.reference.schemas import Instant
from app.routing import api_router

router = api_router(
    prefix="/v1/audit",
    tags=["audit"],
    responses=problem_responses(400, 401, 403, 422, 429, 503),
)


@router.get(
    "",
    summary="Read the audit log",
    description="Admin only, oldest first. One entry per successful write through the API "
    "(and per salarié pseudonymised by `jalon purge`): the key, the operation, the record, "
    "the request id and the names of the fields sent, never their values. Append-only.",
)
async def list_audit_entries(
    session: SessionDep,
    caller: AdminReader,
    page: PageDep,
    key_id: Annotated[uuid.UUID | None, Query(description="Writes of one key")] = None,
    action: Annotated[
        str | None, Query(max_length=80, description="An operation id, e.g. update_salarie")
    ] = None,
    resource: Annotated[
        str | None, Query(max_length=40, description="e.g. salaries, missions")
    ] = None,
    resource_id: Annotated[str | None, Query(max_length=200, description="One record")] = None,
    request_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[Instant | None, Query(description="At or after")] = None,
    until: Annotated[Instant | None, Query(description="Before")] = None,
) -> Page[AuditEntryRead]:
    filters = AuditFilters(key_id, action, resource, resource_id, request_id, since, until)
    rows = await repository.page(
        session, filters, after=page.after(repository.LIST_NAME), limit=page.limit
    )
    return build_page(
        [AuditEntryRead.model_validate(row) for row in rows],
        page,
        repository.LIST_NAME,
        lambda entry: (entry.id,),
    )
