"""Idempotency-Key on every POST: a retry with the same key and body gets the first
response; the same key with another body is a 422; a retry racing the first request
waits for it and gets its response, so two identical requests create one record.

Keys are scoped to the API key that sends them (by its digest), kept 24 hours. A request
that fails with a 5xx frees its key. If jalon stops between the write and the record of
its response, the key stays claimed: retries get a 409 and must use a new key, rather
than risk writing twice.
"""

import asyncio
import datetime as dt
import hashlib
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import (
    BadRequest,
    Conflict,
    PayloadTooLarge,
    ValidationFailed,
)
from app.idempotency import repository
from app.idempotency.models import IdempotencyRecord
from app.middleware import reject

HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
_VALID_KEY = re.compile(rb"^[\x21-\x7e]{1,255}$")
_KEPT_HEADERS = (b"content-type", b"location", b"etag")
_POLL_SECONDS = 0.05


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        wait_seconds: float = 10.0,
        max_age: dt.timedelta = dt.timedelta(hours=24),
    ) -> None:
        self.app = app
        self.wait_seconds = wait_seconds
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_header, token = headers.get(HEADER), _bearer_token(headers)
        if key_header is None or token is None:
            await self.app(scope, receive, send)  # without a key, the route answers 401
            return
        if not _VALID_KEY.match(key_header):
            await reject(scope, send, BadRequest("Idempotency-Key: 1 to 255 visible characters"))
            return
        caller, key = hashlib.sha256(token).digest(), key_header.decode()
        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.database.sessions
        existing = await repository.claim(sessions, caller, key, max_age=self.max_age)
        if existing is None:
            await self._run_first(scope, receive, send, sessions, caller, key)
            return
        try:
            request_hash = _hash(scope, await _read_body(receive))
        except HTTPException as error:
            await reject(scope, send, PayloadTooLarge(str(error.detail)))
            return
        await self._answer_retry(scope, send, sessions, caller, key, request_hash, existing)

    async def _run_first(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        sessions: async_sessionmaker[AsyncSession],
        caller: bytes,
        key: str,
    ) -> None:
        digest = _start_hash(scope)
        status = 500
        kept: dict[str, str] = {}
        body = bytearray()

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                digest.update(message.get("body", b""))
            return message

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

        try:
            await self.app(scope, hashing_receive, capturing_send)
        except BaseException:
            await repository.release(sessions, caller, key)
            raise
        if status >= 500 or status == 429:  # not done: the same key may try again
            await repository.release(sessions, caller, key)
            return
        await repository.complete(
            sessions,
            caller,
            key,
            request_hash=digest.digest(),
            status=status,
            headers=kept,
            body=bytes(body),
        )

    async def _answer_retry(
        self,
        scope: Scope,
        send: Send,
        sessions: async_sessionmaker[AsyncSession],
        caller: bytes,
        key: str,
        request_hash: bytes,
        record: IdempotencyRecord,
    ) -> None:
        deadline = asyncio.get_running_loop().time() + self.wait_seconds
        current: IdempotencyRecord | None = record
        while current is not None and current.completed_at is None:
            if asyncio.get_running_loop().time() > deadline:
                await reject(
                    scope,
                    send,
                    Conflict(
                        "a request with this Idempotency-Key is still in progress, or was "
                        "interrupted: retry later, or with a new key"
                    ),
                )
                return
            await asyncio.sleep(_POLL_SECONDS)
            current = await repository.lookup(sessions, caller, key)
        if current is None:  # the first request failed and freed the key
            await reject(scope, send, Conflict("the first request with this key failed: retry it"))
            return
        if current.request_hash != request_hash:
            await reject(
                scope,
                send,
                ValidationFailed("this Idempotency-Key was used with another request body"),
            )
            return
        assert current.status is not None
        assert current.body is not None
        response_headers = [
            (name.encode(), value.encode("latin-1"))
            for name, value in (current.headers or {}).items()
        ]
        await send(
            {
                "type": "http.response.start",
                "status": current.status,
                "headers": [*response_headers, (REPLAYED_HEADER, b"true")],
            }
        )
        await send({"type": "http.response.body", "body": current.body})


def _bearer_token(headers: dict[bytes, bytes]) -> bytes | None:
    scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
    return token.strip() or None if scheme.lower() == b"bearer" else None


def _start_hash(scope: Scope) -> Any:
    digest = hashlib.sha256()
    digest.update(scope["path"].encode() + b"?" + scope.get("query_string", b"") + b"\n")
    return digest


def _hash(scope: Scope, body: bytes) -> bytes:
    digest = _start_hash(scope)
    digest.update(body)
    return bytes(digest.digest())


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
