import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, status

from app.auth import AdminReader, AdminWriter, AnyCaller, key_cache
from app.db import SessionDep
from app.errors import UnknownReference, field_problem, found, problem_responses
from app.idempotency.admission import shows_secret
from app.keys import repository, service
from app.keys.models import ApiKey
from app.keys.schemas import KeyCreate, KeyCreated, KeyRead
from app.pagination import Page, PageDep, build_page
from app.reference.schemas import QueryFlag
from app.routing import api_router

router = api_router(
    prefix="/v1/keys",
    tags=["keys"],
    responses=problem_responses(401, 403, 422, 429, 503),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
    description="Admin only. The response carries the secret, shown this once.",
    responses=problem_responses(400, 409, 413, 415),
    dependencies=[Depends(shows_secret)],
)
async def create_key(body: KeyCreate, session: SessionDep, caller: AdminWriter) -> KeyCreated:
    if (missing := await repository.missing_binding(session, body)) is not None:
        raise UnknownReference(
            f"{missing} names no record", errors=[field_problem(missing, "no such record")]
        )
    return await service.issue(session, body, created_by=caller.key_id)


@router.get("", summary="List API keys", description="Admin only; oldest first.")
async def list_keys(
    session: SessionDep,
    caller: AdminReader,
    page: PageDep,
    include_revoked: Annotated[QueryFlag, Query(description="Include revoked keys")] = False,
) -> Page[KeyRead]:
    rows = await repository.page(
        session,
        after=page.after(repository.LIST_NAME),
        limit=page.limit,
        include_revoked=include_revoked,
    )
    return build_page(
        [_read(row) for row in rows], page, repository.LIST_NAME, lambda k: (k.created_at, k.id)
    )


@router.get("/me", summary="The key making this request")
async def read_own_key(session: SessionDep, caller: AnyCaller) -> KeyRead:
    key = found(await repository.get(session, caller.key_id), "this key no longer exists")
    return _read(key)


@router.get("/{key_id}", summary="Read an API key", responses=problem_responses(404))
async def read_key(key_id: uuid.UUID, session: SessionDep, caller: AdminReader) -> KeyRead:
    key = found(await repository.get(session, key_id), "no API key with this id")
    return _read(key)


@router.post(
    "/{key_id}/revoke",
    summary="Revoke an API key",
    description="Admin only. Takes effect at once in this process and within "
    "JALON_KEY_CACHE_TTL_SECONDS (30 s by default) in every other.",
    responses=problem_responses(404),
)
async def revoke_key(
    key_id: uuid.UUID, session: SessionDep, caller: AdminWriter, request: Request
) -> KeyRead:
    key = found(await repository.revoke(session, key_id), "no API key with this id")
    key_cache(request).forget_key(key.id)
    return _read(key)


def _read(key: ApiKey) -> KeyRead:
    return KeyRead.model_validate(key)
