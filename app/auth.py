"""Who is calling: API keys resolved to a :class:`Caller`, and the rights checks.

Resolving a key costs no database round trip on most requests: a resolved key (or
an unknown one) is cached in process for ``JALON_KEY_CACHE_TTL_SECONDS``. A
revocation takes effect at once in the process that revoked the key and within
that TTL in every other process.
"""

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.keys import repository
from app.keys.models import ApiKey, Role, Scope
from app.keys.secrets import digest


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: uuid.UUID
    role: Role
    scopes: frozenset[Scope]
    structure_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    network_id: uuid.UUID | None = None

    @classmethod
    def of(cls, key: ApiKey) -> "Caller":
        return cls(
            key_id=key.id,
            role=key.role,
            scopes=frozenset(Scope(scope) for scope in key.scopes),
            structure_id=key.structure_id,
            company_id=key.company_id,
            network_id=key.network_id,
        )


class KeyCache:
    """A bounded, TTL-limited map from key digest to its caller (None: unknown key)."""

    def __init__(self, ttl_seconds: float, max_entries: int) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Caller | None]] = OrderedDict()

    def get(self, key_digest: bytes) -> tuple[bool, Caller | None]:
        entry = self._entries.get(key_digest)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_digest: bytes, caller: Caller | None) -> None:
        if self.ttl_seconds <= 0:
            return
        self._entries[key_digest] = (time.monotonic() + self.ttl_seconds, caller)
        self._entries.move_to_end(key_digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, key_digest: bytes) -> None:
        self._entries.pop(key_digest, None)

    def forget_key(self, key_id: uuid.UUID) -> None:
        stale = [
            d for d, (_, caller) in self._entries.items() if caller and caller.key_id == key_id
        ]
        for key_digest in stale:
            del self._entries[key_digest]


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from POST /v1/keys, sent as 'Authorization: Bearer <secret>'.",
)


def key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


async def authenticate(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key_digest = digest(credentials.credentials)
    cache = key_cache(request)
    known, caller = cache.get(key_digest)
    if not known:
        key = await repository.find_active(session, key_digest)
        caller = None if key is None else Caller.of(key)
        cache.put(key_digest, caller)
    if caller is None:
        raise Unauthorized("this API key is unknown or revoked")
    request.state.key_id = str(caller.key_id)
    return caller


def require(*roles: Role, scope: Scope) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting callers of one of ``roles`` holding ``scope``."""
    allowed = frozenset(roles) or frozenset(Role)

    async def check(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        if caller.role not in allowed:
            raise Forbidden(f"a {caller.role.value} key may not do this")
        if scope not in caller.scopes:
            raise Forbidden(f"this key lacks the '{scope.value}' scope")
        return caller

    return check


AnyCaller = Annotated[Caller, Depends(authenticate)]
Reader = Annotated[Caller, Depends(require(scope=Scope.read))]
# personal data (salariés, parcours, contracts): admin and structure keys only
PersonalReader = Annotated[Caller, Depends(require(Role.admin, Role.structure, scope=Scope.read))]
PersonalWriter = Annotated[Caller, Depends(require(Role.admin, Role.structure, scope=Scope.write))]
Writer = Annotated[Caller, Depends(require(scope=Scope.write))]
AdminReader = Annotated[Caller, Depends(require(Role.admin, scope=Scope.read))]
AdminWriter = Annotated[Caller, Depends(require(Role.admin, scope=Scope.write))]
