"""Who is calling: API keys resolved to a :class:`Caller`, and the rights checks.

Resolving a key costs no database round trip on most requests: a resolved key (or
an unknown one) is cached in process for ``JALON_KEY_CACHE_TTL_SECONDS``. A
revocation takes effect at once in the process that revoked the key and within
that TTL in every other process.
"""

import asyncio
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import BindParameter, Uuid, bindparam

from app.db import get_database
from app.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from app.idempotency import admission as idempotency
from app.keys import repository
from app.keys.models import ApiKey, Role, Scope
from app.keys.secrets import digest, well_formed
from app.ratelimit import RateLimiter, Verdict


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: uuid.UUID
    role: Role
    scopes: frozenset[Scope]
    structure_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    network_id: uuid.UUID | None = None

    def parameters(self) -> dict[str, object]:
        """The values of :func:`caller_id` parameters, for statements compiled once."""
        return {
            "caller_structure_id": self.structure_id,
            "caller_company_id": self.company_id,
            "caller_network_id": self.network_id,
        }

    @property
    def shape(self) -> Role:
        """What statements compiled once are compiled for (:class:`app.sql.Audience`)."""
        return self.role

    def template(self) -> "Caller":
        return Caller.of_role(self.role)

    @classmethod
    def of_role(cls, role: Role) -> "Caller":
        """Any caller of ``role``, holding the ids such a caller holds: what statements
        compiled once per role are built for (the ids are parameters, never values)."""
        placeholder = uuid.UUID(int=0)
        return cls(
            key_id=placeholder,
            role=role,
            scopes=frozenset(),
            structure_id=placeholder if role is Role.structure else None,
            company_id=placeholder if role is Role.company else None,
            network_id=placeholder if role is Role.network else None,
        )

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


def caller_id(
    caller: Caller, kind: Literal["structure", "company", "network"]
) -> BindParameter[uuid.UUID]:
    """The caller's structure, company or network id as a named SQL parameter, so that
    a statement compiled once (per role) serves every caller of that role."""
    return bindparam(f"caller_{kind}_id", getattr(caller, f"{kind}_id"), type_=Uuid())


def refuse_other_structure(caller: Caller, structure_id: uuid.UUID, detail: str) -> None:
    """A structure's personal data: admin keys reach every structure's, a structure key
    its own only (another's is a 404 ``detail``, as if it did not exist)."""
    if caller.role is Role.structure and caller.structure_id != structure_id:
        raise NotFound(detail)


class KeyCache:
    """Bounded, TTL-limited maps from key digest to its caller, and of digests known to
    be no key: a flood of made-up tokens fills the second and never evicts a real key."""

    def __init__(self, ttl_seconds: float, max_entries: int, max_unknown: int = 100_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.max_unknown = max_unknown
        self._entries: OrderedDict[bytes, tuple[float, Caller]] = OrderedDict()
        self._unknown: OrderedDict[bytes, float] = OrderedDict()

    def get(self, key_digest: bytes) -> tuple[bool, Caller | None]:
        """(known, caller): (True, None) for a digest known to be no key."""
        entry = self._entries.get(key_digest)
        if entry is not None and entry[0] >= time.monotonic():
            return True, entry[1]
        expires = self._unknown.get(key_digest)
        if expires is not None and expires >= time.monotonic():
            return True, None
        return False, None

    def was_a_key(self, key_digest: bytes) -> bool:
        """Whether this digest was a live key when last looked up (its entry may have
        expired since): worth looking up again, even for an address out of failures."""
        return key_digest in self._entries

    def put(self, key_digest: bytes, caller: Caller | None) -> None:
        if self.ttl_seconds <= 0:
            return
        expires = time.monotonic() + self.ttl_seconds
        if caller is None:
            self._entries.pop(key_digest, None)  # revoked since
            _put_bounded(self._unknown, key_digest, expires, self.max_unknown)
        else:
            _put_bounded(self._entries, key_digest, (expires, caller), self.max_entries)

    def forget(self, key_digest: bytes) -> None:
        self._entries.pop(key_digest, None)
        self._unknown.pop(key_digest, None)

    def forget_key(self, key_id: uuid.UUID) -> None:
        stale = [d for d, (_, caller) in self._entries.items() if caller.key_id == key_id]
        for key_digest in stale:
            del self._entries[key_digest]


def _put_bounded(entries: OrderedDict[bytes, Any], key: bytes, value: Any, limit: int) -> None:
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > limit:
        entries.popitem(last=False)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Budgets per minute: each role's keys, and each client address's failed
    authentications (0: no limit)."""

    per_role: Mapping[Role, int]
    auth_failures: int
    auth_failure_pause_seconds: float = 0.0


def key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


def bearer_secret(request: Request) -> str | None:
    """The secret of an 'Authorization: Bearer <secret>' header, read as HTTPBearer reads
    it, without building its credentials model on every request."""
    scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not secret:
        return None
    return secret


async def authenticate(request: Request, secret: str | None) -> Caller:
    """The caller of a live key, counted against its budget. A request that fails
    authentication is counted against its client address's budget: once that is spent,
    the address gets a 429 and no token of it is looked up in the database."""
    caller = await _caller_of(request, secret)
    limiter: RateLimiter = request.app.state.rate_limiter
    limits: RateLimits = request.app.state.rate_limits
    if caller is None:
        verdict = limiter.take(_address(request), limits.auth_failures)
        if verdict is not None and not verdict.allowed:
            # jittered, so that a flood's connections come back spread out, not at once
            await asyncio.sleep(limits.auth_failure_pause_seconds * random.uniform(0.5, 1.5))
        _refuse_over(request, verdict, "requests that fail authentication a minute from here")
        if secret is None:
            raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
        raise Unauthorized("this API key is unknown or revoked")
    request.state.key_id = str(caller.key_id)
    verdict = limiter.take(caller.key_id, limits.per_role.get(caller.role, 0))
    _refuse_over(request, verdict, "requests a minute with this key")
    return caller


async def _caller_of(request: Request, secret: str | None) -> Caller | None:
    if secret is None or not well_formed(secret):
        return None  # no database round trip for what cannot be a key
    key_digest = digest(secret)
    cache = key_cache(request)
    known, caller = cache.get(key_digest)
    if known:
        return caller
    limiter: RateLimiter = request.app.state.rate_limiter
    limits: RateLimits = request.app.state.rate_limits
    if not cache.was_a_key(key_digest) and not limiter.can_take(
        _address(request), limits.auth_failures
    ):
        # an address out of failures looks up no new token (its real keys, once seen,
        # still are: a client behind the same address as a flood is not locked out)
        return None
    async with get_database(request).sessions() as session:
        key = await repository.find_active(session, key_digest)
    caller = None if key is None else Caller.of(key)
    cache.put(key_digest, caller)
    return caller


def _refuse_over(request: Request, verdict: Verdict | None, what: str) -> None:
    if verdict is None:
        return
    request.state.rate_limit = verdict  # its headers go on the response
    if not verdict.allowed:
        raise TooManyRequests(
            f"{verdict.limit} {what} at most", retry_after_seconds=verdict.retry_after_seconds
        )


def _address(request: Request) -> str:
    """The client's address: the peer, or the proxy's word for it where uvicorn was told
    to trust the proxy (``--proxy-headers``, ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else ""


class KeyRequirement(HTTPBearer):
    """A dependency admitting callers of one of ``roles`` holding ``scope`` (any key
    when both are None). Being the bearer scheme itself, it is what the contract
    documents as ``ApiKey``, and FastAPI resolves it in one step: each dependency
    level costs tens of microseconds on every request."""

    def __init__(self, *roles: Role, scope: Scope | None, personal: bool = False) -> None:
        super().__init__(
            auto_error=False,
            scheme_name="ApiKey",
            description="An API key from POST /v1/keys, sent as 'Authorization: Bearer <secret>'.",
        )
        self.roles = frozenset(roles) or frozenset(Role)
        self.scope = scope
        self.personal = personal  # the route's answers are personal data

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        caller = await authenticate(request, bearer_secret(request))
        if caller.role not in self.roles:
            raise Forbidden(f"a {caller.role.value} key may not do this")
        if self.scope is not None and self.scope not in caller.scopes:
            raise Forbidden(f"this key lacks the '{self.scope.value}' scope")
        # last: a retry is answered only to the live key that made the request, once
        # it has been authorised and counted against its budget like any request
        await idempotency.admit(request, caller.key_id, personal=self.personal)
        return caller


def require(*roles: Role, scope: Scope, personal: bool = False) -> KeyRequirement:
    return KeyRequirement(*roles, scope=scope, personal=personal)


AnyCaller = Annotated[Caller, Depends(KeyRequirement(scope=None))]
Reader = Annotated[Caller, Depends(require(scope=Scope.read))]
# personal data (salariés, parcours, contracts): admin and structure keys only
PersonalReader = Annotated[
    Caller, Depends(require(Role.admin, Role.structure, scope=Scope.read, personal=True))
]
PersonalWriter = Annotated[
    Caller, Depends(require(Role.admin, Role.structure, scope=Scope.write, personal=True))
]
Writer = Annotated[Caller, Depends(require(scope=Scope.write))]
AdminReader = Annotated[Caller, Depends(require(Role.admin, scope=Scope.read))]
AdminWriter = Annotated[Caller, Depends(require(Role.admin, scope=Scope.write))]
