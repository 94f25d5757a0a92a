"""Every error the API returns, rendered as RFC 9457 ``application/problem+json``.

Domain code raises a :class:`Problem` subclass; framework and database errors are
translated here, so no route writes an error response by hand.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeAlias, TypeVar

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.reference.enums import Severity

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://jalon.dev/problems/"
PROBLEM_SCHEMA_REF = "#/components/schemas/ProblemDocument"

logger = logging.getLogger("jalon.errors")


class FieldProblem(BaseModel):
    pointer: str = Field(description="JSON pointer to the offending value, e.g. /body/siret")
    detail: str


class RuleViolation(BaseModel):
    """A labour-law rule a write breaks (blocking) or bends (warning)."""

    code: str = Field(examples=["cddi_too_short"])
    severity: Severity = Field(description="blocking: the write is refused; warning: it is kept")
    rule: str = Field(examples=["a CDDI lasts at least 4 months"])
    article: str = Field(description="Code du travail article", examples=["L5132-15-1"])
    values: dict[str, str] = Field(description="The values that broke the rule")


class ProblemDocument(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://jalon.dev/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no API key with this id",
                    "instance": "/v1/keys/0b9f3c1e-6a4c-4b6a-9a53-5d2f8f0c1a2b",
                    "request_id": "6f1c2a9e0d8b4c37a1f2e3d4c5b6a798",
                }
            ]
        }
    )

    type: str = Field(
        description=f"{PROBLEM_TYPE_BASE}<slug>: each response lists the slugs it may carry",
        examples=[f"{PROBLEM_TYPE_BASE}not-found"],
    )
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None
    violations: list[RuleViolation] | None = Field(
        None, description="For rules-broken problems: every rule the write breaks"
    )


class Problem(Exception):
    """A domain error that carries its HTTP status and problem type."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"
    # what the type means, where its title is not enough (said in the contract)
    meaning: ClassVar[str] = ""
    # the request's transaction is committed all the same: the refusal is itself a
    # record the law asks to keep (app.db.transaction)
    keeps_writes: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: Sequence[FieldProblem] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.errors = list(errors)
        self.extra = extra or {}


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class CursorInvalid(BadRequest):
    slug, title = "cursor-invalid", "Cursor invalid"
    meaning = "the cursor is not one this list issued: start the list again"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="jalon"'})


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(Problem):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class MonthClosed(Conflict):
    slug, title = "month-closed", "Month closed"
    meaning = "the structure closed this month: reopen it for a correction to change its hours"


# what the trigger on monthly_hours names when a closed month's hours would change
MONTH_CLOSED_CONSTRAINT = "month_closed"


class Gone(Problem):
    status, slug, title = 410, "gone", "Gone"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(Problem):
    status, slug, title = 422, "validation-failed", "Validation failed"


class UnknownReference(ValidationFailed):
    slug, title = "unknown-reference", "Unknown reference"
    meaning = (
        "a field names a record or a reference code (commune, territory) that does not "
        "exist, is not the caller's, or does not fit the record it goes with"
    )


class TargetRefused(ValidationFailed):
    slug, title = "target-refused", "Webhook target refused"
    meaning = "the URL does not resolve, or not to a public address"


class BatchRejected(Problem):
    """An atomic batch with errors: nothing is written, and the problem carries the
    batch's report (every item's outcome, each error with its own problem)."""

    status, slug, title = 422, "batch-rejected", "Batch rejected"


class MonthIncomplete(Problem):
    """A month that cannot close yet: ``missing`` lists what it lacks."""

    status, slug, title = 422, "month-incomplete", "Month incomplete"


class IdempotencyKeyReused(Problem):
    """The Idempotency-Key of an earlier request sent with another request."""

    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused"


class SecretShownOnce(Problem):
    """A retry of a request whose answer showed a secret, which is never kept."""

    status, slug, title = 409, "secret-shown-once", "Secret shown once"


class PreconditionFailed(Problem):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class RulesBroken(Problem):
    """A write that breaks a blocking labour-law rule: every violation is listed."""

    status, slug, title = 422, "rules-broken", "Labour-law rules broken"

    def __init__(self, violations: Sequence[RuleViolation], *, kept_as: str = "") -> None:
        """``kept_as``: where the refused request is recorded, when it is."""
        codes = ", ".join(violation.code for violation in violations)
        super().__init__(
            f"the write breaks: {codes}"
            + (f"; the request is kept as {kept_as}" if kept_as else ""),
            extra={"violations": [violation.model_dump() for violation in violations]},
        )
        self.keeps_writes = bool(kept_as)


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


class InternalError(Problem):
    pass


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


_STATUS_PROBLEMS: dict[int, type[Problem]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    )
}


FoundT = TypeVar("FoundT")


def found(record: FoundT | None, detail: str) -> FoundT:
    """The record, or a 404 saying what was not found (a record the caller may not see
    is not found either: no answer tells the two apart)."""
    if record is None:
        raise NotFound(detail)
    return record


def field_problem(field: str, detail: str, *, location: str = "body") -> FieldProblem:
    return FieldProblem(pointer=json_pointer([location, *field.split(".")]), detail=detail)


def problem_response(problem: Problem, *, instance: str, request_id: str | None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail or problem.title,
        "instance": instance,
        "request_id": request_id,
    }
    if problem.errors:
        body["errors"] = [error.model_dump() for error in problem.errors]
    body.update(problem.extra)
    return Response(
        orjson.dumps(body, default=str),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


# the problem schemas that responses refer to, ProblemDocument and its extensions
_PROBLEM_MODELS: dict[str, type[ProblemDocument]] = {"ProblemDocument": ProblemDocument}


def problem_responses(
    *statuses: int, schema: type[ProblemDocument] = ProblemDocument
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting the problems a route can return, each status
    with the problem types it may carry; ``schema`` when they carry more members."""
    _PROBLEM_MODELS[schema.__name__] = schema
    return {
        status: {
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema.__name__}"}}
            },
            "description": "Problem types: "
            + ", ".join(_described(cls) for cls in problem_classes() if cls.status == status),
        }
        for status in statuses
    }


def _described(cls: type[Problem]) -> str:
    return f"{cls.slug} ({cls.meaning})" if cls.meaning else cls.slug


def problem_classes() -> list[type[Problem]]:
    """Every problem jalon answers, each with its own type."""
    found: list[type[Problem]] = []
    pending = [Problem]
    while pending:
        cls = pending.pop(0)
        if cls.slug not in {known.slug for known in found}:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: (cls.status, cls.slug))


def problem_schemas() -> dict[str, Any]:
    """The component schemas that :func:`problem_responses` refers to."""
    schemas: dict[str, Any] = {}
    for name, model in _PROBLEM_MODELS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas |= {**schema.pop("$defs", {}), name: schema}
    return schemas


def json_pointer(location: Sequence[int | str]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "/" + "/".join(escaped)


def from_validation_error(error: RequestValidationError) -> Problem:
    problems = error.errors()
    if any(item.get("type") == "json_invalid" for item in problems):
        return BadRequest("the request body is not valid JSON")
    fields = [
        FieldProblem(pointer=json_pointer(item["loc"]), detail=str(item["msg"]))
        for item in problems
    ]
    return ValidationFailed("the request has invalid fields", errors=fields)


def from_pydantic(error: ValidationError, *, location: str = "body") -> ValidationFailed:
    """A validation failure found after parsing (on merged state, say), as a 422."""
    return ValidationFailed(
        "the request has invalid fields",
        errors=[
            FieldProblem(pointer=json_pointer([location, *item["loc"]]), detail=item["msg"])
            for item in error.errors()
        ],
    )


def from_http_exception(error: StarletteHTTPException) -> Problem:
    problem_class = _STATUS_PROBLEMS.get(error.status_code, InternalError)
    headers = dict(error.headers or {})
    if error.status_code == 404:
        return NotFound("no such resource", headers=headers)
    if error.status_code == 405:
        return MethodNotAllowed("this method is not allowed on this resource", headers=headers)
    return problem_class(str(error.detail), headers=headers)


DatabaseError: TypeAlias = (
    DBAPIError | PoolTimeoutError | asyncpg.PostgresError | asyncpg.InterfaceError
)


# what PostgreSQL refuses in a value a client sent (class 22): a 422, not a 500. Other
# data errors (a division by zero, say) stay bugs of ours.
_UNSTORABLE = (
    asyncpg.CharacterNotInRepertoireError,  # NUL in text
    asyncpg.UntranslatableCharacterError,
    asyncpg.NumericValueOutOfRangeError,
    asyncpg.DatetimeFieldOverflowError,
    asyncpg.StringDataRightTruncationError,
)


def from_database_error(
    error: DatabaseError, retry_after: int, guards: Mapping[str, tuple[str, str]]
) -> Problem | None:
    """Translate what PostgreSQL says into a problem; None when it is a bug of ours.
    The error comes through SQLAlchemy (ORM sessions) or straight from asyncpg (the
    hot paths). ``guards``: the (field, what it must be) of each CHECK constraint a
    client's values can break, by constraint name. No answer names a constraint."""
    if isinstance(error, PoolTimeoutError):
        return ServiceUnavailable("the database is busy", retry_after_seconds=retry_after)
    original: BaseException | None = error
    if isinstance(error, DBAPIError):
        original = getattr(error.orig, "__cause__", None) or error.orig
    constraint: str = getattr(original, "constraint_name", None) or ""
    if isinstance(original, asyncpg.CheckViolationError) and constraint == MONTH_CLOSED_CONSTRAINT:
        return MonthClosed("the month is closed: reopen it for a correction first")
    if isinstance(original, asyncpg.CheckViolationError) and constraint in guards:
        field, must_be = guards[constraint]
        return ValidationFailed(f"{field}: {must_be}", errors=[field_problem(field, must_be)])
    if isinstance(error, IntegrityError) or isinstance(
        original, asyncpg.IntegrityConstraintViolationError
    ):
        logger.info("constraint violated", extra={"constraint": constraint})
        return Conflict(_integrity_detail(original))
    if isinstance(original, _UNSTORABLE):
        return ValidationFailed(
            "a value cannot be stored: text with a NUL character, or a number or date "
            "beyond what the field holds"
        )
    if isinstance(original, asyncpg.QueryCanceledError):
        return ServiceUnavailable("the query took too long", retry_after_seconds=retry_after)
    if isinstance(error, DBAPIError) and (
        error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    ):
        return ServiceUnavailable("the database is unreachable", retry_after_seconds=retry_after)
    if isinstance(
        original,
        OSError | asyncpg.PostgresConnectionError | asyncpg.ConnectionDoesNotExistError,
    ):
        return ServiceUnavailable("the database is unreachable", retry_after_seconds=retry_after)
    return None


def _integrity_detail(original: BaseException | None) -> str:
    if isinstance(original, asyncpg.UniqueViolationError):
        return "a record with the same unique value exists"
    if isinstance(original, asyncpg.ForeignKeyViolationError):
        return "a referenced record does not exist, or is still referenced"
    return "the change conflicts with the records as they are"


def install_error_handlers(
    app: FastAPI, retry_after_seconds: int, guards: Mapping[str, tuple[str, str]]
) -> None:
    def respond(request: Request, problem: Problem) -> Response:
        request_id = getattr(request.state, "request_id", None)
        return problem_response(problem, instance=request.url.path, request_id=request_id)

    async def on_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, Problem)
        return respond(request, error)

    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return respond(request, from_validation_error(error))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        return respond(request, from_http_exception(error))

    async def on_database(request: Request, error: Exception) -> Response:
        assert isinstance(error, DatabaseError)
        problem = from_database_error(error, retry_after_seconds, guards)
        if problem is None:
            raise error  # a bug of ours: the request middleware answers 500
        if problem.status == 503:
            logger.warning("database unavailable", extra={"error": type(error).__name__})
        return respond(request, problem)

    async def on_connection_error(request: Request, error: Exception) -> Response:
        # raised bare by the driver when PostgreSQL cannot be reached at all
        logger.warning("database unreachable", extra={"error": type(error).__name__})
        return respond(
            request,
            ServiceUnavailable(
                "the database is unreachable", retry_after_seconds=retry_after_seconds
            ),
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(OSError, on_connection_error)
    app.add_exception_handler(asyncpg.PostgresConnectionError, on_connection_error)
    app.add_exception_handler(asyncpg.PostgresError, on_database)
    app.add_exception_handler(asyncpg.InterfaceError, on_database)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(PoolTimeoutError, on_database)
