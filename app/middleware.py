"""Pure ASGI middleware: request ids, the access log, metrics, and body guards.

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task, no buffering of the
response, a few microseconds per request.
"""

import itertools
import logging
import re
import time
import uuid
from fnmatch import fnmatchcase
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import (
    InternalError,
    PayloadTooLarge,
    Problem,
    UnsupportedMediaType,
    problem_response,
)

access_log = logging.getLogger("jalon.access")
error_log = logging.getLogger("jalon.errors")

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
_JSON_MEDIA_TYPES = re.compile(
    r"^application/(json|[a-z0-9.+-]+\+json|x-ndjson)\s*(;.*)?$", re.IGNORECASE
)
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
UNMATCHED_ROUTE = "<unmatched>"


class HttpMetrics:
    """Request counters and latency histograms, by route template (never by raw path)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "jalon_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "jalon_http_request_duration_seconds",
            "Time from request to the end of the response",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        # labels() validates and locks on each call: keep each series' child once found
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(self, method: str, route: str, status: int, duration: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._series[(method, route, status)] = series
        series[0].inc()
        series[1].observe(duration)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Gives each request an id (echoed as X-Request-ID), logs one JSON line and
    records metrics when it ends."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                rate_limit = state.get("rate_limit")
                if rate_limit is not None:
                    headers += rate_limit.headers()
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # the last resort: a problem with the request id, the traceback only in the log
            status = 500
            error_log.exception("unhandled error", extra={"request_id": request_id})
            if not response_started:
                problem = InternalError("an unexpected error occurred; quote the request id")
                response = problem_response(problem, instance=scope["path"], request_id=request_id)
                await response(scope, _no_body, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            self.metrics.record(method, route, status, duration)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "request_id": request_id,
                    "key_id": state.get("key_id"),
                },
            )


# generated ids: a random prefix per process and a counter, unique without a call to the
# system's random source on every request
_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.match(value):
            return str(value.decode())
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


class BodyGuardMiddleware:
    """Refuses request bodies over the size limit (413) or not in JSON (415) before
    any route reads them."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, larger: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # path (a glob: * for one segment or more) -> its own limit (bulk imports)
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        limit = next(
            (n for pattern, n in self.larger.items() if fnmatchcase(scope["path"], pattern)),
            self.max_body_bytes,
        )
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        has_body = b"transfer-encoding" in headers or (length is not None and length != b"0")
        if has_body:
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if not _JSON_MEDIA_TYPES.match(content_type):
                await reject(scope, send, UnsupportedMediaType("send the body as application/json"))
                return
        if length is not None and (not length.isdigit() or int(length) > limit):
            await reject(scope, send, _too_large(limit))
            return

        received = 0

        async def counting_receive() -> Message:
            # raised as an HTTPException so that FastAPI's body parsing lets it through
            # to the problem handlers instead of turning it into a 400
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit).detail)
            return message

        await self.app(scope, counting_receive, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is limited to {limit} bytes")


async def reject(scope: Scope, send: Send, problem: Problem) -> None:
    """Answers with ``problem`` from a middleware, before any route runs."""
    request_id = scope.get("state", {}).get("request_id")
    response = problem_response(problem, instance=scope["path"], request_id=request_id)
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


# the documentation pages run Swagger UI and ReDoc (inline start-up scripts, served from
# /static-offline-docs): they get a policy that lets them run, everything else none
_DOCUMENTATION_PATHS = ("/docs", "/redoc", "/static-offline-docs")
_API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
_DOCUMENTATION_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; frame-ancestors 'none'"
)
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
)


class SecurityHeadersMiddleware:
    """Security headers on every response, the problems of other middleware included;
    ``Cache-Control: no-store`` on the API's answers (personal data stays out of
    caches) unless a route chose its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        documentation = path.startswith(_DOCUMENTATION_PATHS)
        policy = _DOCUMENTATION_POLICY if documentation else _API_POLICY
        private = path.startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [*_ALWAYS, (b"content-security-policy", policy)]
                if private and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
