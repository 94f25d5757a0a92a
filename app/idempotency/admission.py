"""The Idempotency-Key of a POST, admitted once the caller is authenticated, authorised
and within its rate limit (the key check calls :func:`admit` last).

A retry with the same key and request gets the first response; the same key with
another request is a 422 (``idempotency-key-reused``); a retry racing the first request
waits for it and gets its response, so two identical requests create one record. Keys
belong to the API key that sends them and live 24 hours. A request that fails with a
5xx frees its key. If jalon stops between the write and the record of its response,
the key stays claimed: retries get a 409 and must use a new key rather than risk
writing twice.

What a record keeps is in :mod:`app.idempotency.models`; :class:`IdempotencyMiddleware`
writes it when the response has been sent.
"""

import asyncio
import datetime as dt
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from starlette.responses import Response

from app.db import get_database
from app.errors import BadRequest, Conflict, IdempotencyKeyReused, SecretShownOnce
from app.idempotency import repository
from app.idempotency.models import IdempotencyRecord

HEADER = "idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"
MAX_AGE = dt.timedelta(hours=24)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.05
# request.state attributes: what the middleware reads back when the response is sent
CLAIM = "idempotency_claim"
SHOWS_SECRET = "idempotency_shows_secret"
SUBJECT = "idempotency_salarie_id"
REPLAYED = "idempotency_replayed"


@dataclass(frozen=True, slots=True)
class Claim:
    """This request holds the key: its response is to be kept (or the key freed)."""

    key_id: uuid.UUID
    key: str
    personal: bool  # a route of personal data: its answer must name the salarié


class Replay(Exception):
    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("idempotent replay")
        self.record = record


def fingerprint(server_key: bytes, request: Request, body: bytes) -> bytes:
    """A keyed digest of the request. Keyed with a key derived from the server's stable
    secret (the NIR hash key): a fingerprint must survive restarts, and must not let
    anyone who reads the table test guesses of a body (a NIR in it) against it."""
    key = hmac.new(server_key, b"jalon idempotency fingerprint", hashlib.sha256).digest()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    mac.update(request.url.path.encode() + b"?" + request.url.query.encode() + b"\n")
    mac.update(body)
    return mac.digest()


def shows_secret(request: Request) -> None:
    """A route whose success shows a secret once: its answer is never kept, and a retry
    is told so. Declared on the route: ``dependencies=[Depends(shows_secret)]``."""
    setattr(request.state, SHOWS_SECRET, True)


def about_salarie(request: Request, salarie_id: uuid.UUID) -> None:
    """The answer of this request is about this salarié: pseudonymising them forgets it."""
    setattr(request.state, SUBJECT, salarie_id)


async def admit(request: Request, key_id: uuid.UUID, *, personal: bool) -> None:
    """Claims the request's Idempotency-Key for this (live, authorised) key, or raises
    :class:`Replay` with the first response, or the problem a retry deserves."""
    raw_key = request.headers.get(HEADER)
    if raw_key is None or request.method != "POST":
        return
    if not _VALID_KEY.match(raw_key):
        raise BadRequest("Idempotency-Key: 1 to 255 visible characters")
    print_ = fingerprint(request.app.state.nir_key, request, await request.body())
    sessions = get_database(request).sessions
    existing = await repository.claim(sessions, key_id, raw_key, print_, max_age=MAX_AGE)
    if existing is None:
        setattr(request.state, CLAIM, Claim(key_id, raw_key, personal))
        return
    record = await _settled(request, existing)
    if not hmac.compare_digest(record.fingerprint, print_):
        raise IdempotencyKeyReused("this Idempotency-Key was used with another request")
    if record.secret_shown:
        raise SecretShownOnce(
            "the first request with this Idempotency-Key succeeded, and its answer showed a "
            "secret, which is shown once and never kept: list the resource to find it, and "
            "make a new one if the secret was lost"
        )
    if record.body is None:
        raise Conflict("the first response with this Idempotency-Key is not kept: read it back")
    setattr(request.state, REPLAYED, True)
    raise Replay(record)


async def _settled(request: Request, record: IdempotencyRecord) -> IdempotencyRecord:
    """The record once its first request has answered."""
    sessions = get_database(request).sessions
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WAIT_SECONDS
    current: IdempotencyRecord | None = record
    while current is not None and current.completed_at is None:
        if loop.time() > deadline:
            raise Conflict(
                "a request with this Idempotency-Key is still in progress, or was "
                "interrupted: retry later, or with a new key"
            )
        await asyncio.sleep(_POLL_SECONDS)
        current = await repository.lookup(sessions, record.key_id, record.key)
    if current is None:  # the first request failed and freed the key
        raise Conflict("the first request with this key failed: retry it")
    return current


async def replay_response(request: Request, error: Exception) -> Response:
    assert isinstance(error, Replay)
    record = error.record
    assert record.status is not None
    assert record.body is not None
    return Response(
        record.body,
        status_code=record.status,
        headers={**(record.headers or {}), REPLAYED_HEADER: "true"},
    )


async def forget_expired_in(url: str) -> int:
    """`jalon purge`: the records past their 24 hours, in one transaction on ``url``."""
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            return await repository.forget_expired(session, max_age=MAX_AGE)
    finally:
        await engine.dispose()
