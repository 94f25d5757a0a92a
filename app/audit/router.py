from typing import Annotated

from fastapi import Depends

from app.audit import repository
from app.audit.repository import AuditQuery
from app.audit.schemas import AuditEntryRead
from app.auth import AdminReader
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, build_page
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
    query: Annotated[AuditQuery, Depends()],
    page: PageDep,
) -> Page[AuditEntryRead]:
    rows = await repository.page(
        session, query, after=page.after(repository.LIST_NAME), limit=page.limit
    )
    return build_page(
        [AuditEntryRead.model_validate(row) for row in rows],
        page,
        repository.LIST_NAME,
        lambda entry: (entry.id,),
    )
