"""The audit entry of a write through the ORM session, written in the write's own
transaction just before it commits: the write and its entry stand or fall together.

Writes on the fast path (one statement on the asyncpg pool, committed by itself) are
recorded by :class:`app.audit.middleware.AuditMiddleware` once they have answered; a
route whose entry was written here is marked so that the middleware skips it.
"""

from typing import Any

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.entry import (
    FIELDS_NOTED,
    KEPT_BODY_BYTES,
    field_names,
    is_write,
    resource_id_of,
    resource_of,
)
from app.idempotency.admission import REPLAYED

RECORDED = "audit_recorded"
NOTHING_WRITTEN = "audit_nothing_written"


def nothing_written(request: Request) -> None:
    """This write answered without writing (a dry run, a refused atomic batch): it is
    not an entry of the audit log."""
    setattr(request.state, NOTHING_WRITTEN, True)


async def record_before_commit(session: AsyncSession, request: Request, response: Response) -> None:
    """The hook :func:`app.db.transaction` calls once the route has returned."""
    state: dict[str, Any] = request.scope.get("state", {})
    route = request.scope.get("route")
    operation = getattr(route, "name", None)
    if state.get(REPLAYED) or state.get(NOTHING_WRITTEN):
        return
    if not is_write(request.method, request.url.path, operation):
        return
    status = response.status_code or getattr(route, "status_code", None) or 200
    if not 200 <= status < 300:
        return
    fields: list[str] | None = state.get(FIELDS_NOTED)
    if fields is None:  # the route read its body whole (FastAPI did): it is at hand
        body = await request.body()
        fields = field_names(body) if len(body) <= KEPT_BODY_BYTES else []
    await repository.record_all(
        session,
        [
            {
                "key_id": state.get("key_id"),
                "action": operation,
                "method": request.method,
                "resource": resource_of(request.url.path),
                "resource_id": resource_id_of(
                    request.path_params, response.headers.get("location")
                ),
                "status": status,
                "request_id": state.get("request_id", ""),
                "fields": fields,
            }
        ],
    )
    state[RECORDED] = True
