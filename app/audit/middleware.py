"""Records every successful write through the API in the audit log.

A replayed answer (an idempotent retry) wrote nothing and is not recorded. It
writes the entry once the route has answered, on a connection of its own: the route's
transaction is committed by then. A failure to record is logged (without the
request's content) and does not change the answer already sent.
"""

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit import repository
from app.audit.entry import (
    FIELDS_NOTED,
    KEPT_BODY_BYTES,
    WRITE_METHODS,
    AuditFacts,
    field_names,
    is_write,
    resource_id_of,
    resource_of,
)
from app.audit.in_transaction import NOTHING_WRITTEN, RECORDED
from app.db import Database
from app.idempotency.admission import REPLAYED

error_log = logging.getLogger("jalon.errors")


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        kept = 0  # bytes of body kept for the field names, up to KEPT_BODY_BYTES
        status = 0
        location: str | None = None

        async def receive_and_keep() -> Message:
            nonlocal kept
            message = await receive()
            if message["type"] == "http.request" and kept <= KEPT_BODY_BYTES:
                chunk = message.get("body", b"")
                kept += len(chunk)
                chunks.append(chunk)
            return message

        async def send_and_note(message: Message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"location":
                        location = value.decode("latin-1")
            await send(message)

        await self.app(scope, receive_and_keep, send_and_note)
        route = scope.get("route")
        operation = getattr(route, "name", None)
        state = scope.get("state", {})
        if state.get(REPLAYED) or state.get(NOTHING_WRITTEN) or state.get(RECORDED):
            return
        if not 200 <= status < 300 or not is_write(scope["method"], scope["path"], operation):
            return
        assert operation is not None
        facts = AuditFacts(
            action=operation,
            method=scope["method"],
            resource=resource_of(scope["path"]),
            resource_id=resource_id_of(scope.get("path_params", {}), location),
            status=status,
            fields=_fields(scope, chunks, kept),
        )
        await _record(scope, facts)


def _fields(scope: Scope, chunks: list[bytes], kept: int) -> list[str]:
    """What the route noted (a bulk import), else the names in a body of moderate size."""
    noted: list[str] | None = scope.get("state", {}).get(FIELDS_NOTED)
    if noted is not None:
        return noted
    return field_names(b"".join(chunks)) if kept <= KEPT_BODY_BYTES else []


async def _record(scope: Scope, facts: AuditFacts) -> None:
    state: dict[str, Any] = scope.get("state", {})
    database: Database = scope["app"].state.database
    try:
        async with database.connection() as connection:
            await repository.record(
                connection,
                facts,
                key_id=state.get("key_id"),
                request_id=state.get("request_id", ""),
            )
    except Exception:
        error_log.exception(
            "the audit entry of a write could not be recorded",
            extra={"request_id": state.get("request_id"), "action": facts.action},
        )
