"""Keeps the response of a POST whose Idempotency-Key was claimed (see
:mod:`app.idempotency.admission`), once it has been sent; frees the key when the request
failed with a 5xx or raised. A request that claimed nothing (no key, a refused key, a
replay) leaves nothing behind.
"""

import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import Database
from app.idempotency import repository
from app.idempotency.admission import CLAIM, HEADER, SHOWS_SECRET, SUBJECT, Claim

_HEADER = HEADER.encode()
_KEPT_HEADERS = (b"content-type", b"location", b"etag")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not any(name == _HEADER for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        status = 500
        kept: dict[str, str] = {}
        body = bytearray()

        async def capturing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept.update(
                    (name.decode(), value.decode("latin-1"))
                    for name, value in message.get("headers", [])
                    if name in _KEPT_HEADERS
                )
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        state: dict[str, Any] = scope.setdefault("state", {})
        database: Database = scope["app"].state.database
        try:
            await self.app(scope, receive, capturing_send)
        except BaseException:
            if (claim := state.get(CLAIM)) is not None:
                await repository.release(database.sessions, claim.key_id, claim.key)
            raise
        claim = state.get(CLAIM)
        if claim is None:
            return
        if status >= 500:  # not done: the same key may try again
            await repository.release(database.sessions, claim.key_id, claim.key)
            return
        succeeded = 200 <= status < 300
        secret_shown = succeeded and bool(state.get(SHOWS_SECRET))
        subject: uuid.UUID | None = state.get(SUBJECT)
        await repository.complete(
            database.sessions,
            claim.key_id,
            claim.key,
            status=status,
            headers=None if secret_shown else kept,
            body=None if secret_shown or _unnamed(claim, succeeded, subject) else bytes(body),
            secret_shown=secret_shown,
            salarie_id=subject,
        )


def _unnamed(claim: Claim, succeeded: bool, subject: uuid.UUID | None) -> bool:
    """A success of a personal-data route that did not say whom it was about: its
    answer is not kept, since pseudonymisation could not find it."""
    return claim.personal and succeeded and subject is None
