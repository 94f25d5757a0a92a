"""The OpenAPI document partners generate clients from: FastAPI's, completed with what
the routes cannot say on their own. Each addition mirrors one mechanism of the server:

- the problem schemas error responses refer to (:mod:`app.errors`);
- the 400 every paginated list answers to a cursor it did not issue (:mod:`app.pagination`);
- ``Idempotency-Key`` on every authenticated POST, and ``Idempotent-Replayed`` on their
  answers (:mod:`app.idempotency.admission` admits it on exactly those);
- the headers every answer carries (``X-Request-ID``), every authenticated answer
  (``RateLimit-*``), every 429 and 503 (``Retry-After``), every 401 (``WWW-Authenticate``);
- webhooks: the signature headers of a delivery, and the answers its receiver gives.

``ETag`` and ``Location`` are declared by the routes that set them
(:func:`app.concurrency.versioned`)."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.errors import problem_responses, problem_schemas
from app.indicators.service import MAX_YEARS

METHODS = ("get", "put", "post", "delete", "patch")
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (the client's own when it sent a valid one), also "
        "in problem documents: quote it when asking for help",
        "schema": {"type": "string"},
    },
    "RateLimit-Limit": {
        "description": "Requests allowed per minute to this key",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window",
        "schema": {"type": "integer"},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window resets",
        "schema": {"type": "integer"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer"},
    },
    "WWW-Authenticate": {"description": "The scheme to use", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "true when this is the kept answer of an earlier request with the "
        "same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "ETag": {
        "description": "The record's version: send it back in If-Match to change it",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The created record's path", "schema": {"type": "string"}},
    "Deprecation": {
        "description": "Present when the request used something deprecated (RFC 9745): "
        "since when, as @<seconds since the epoch>; the changelog says what to use instead",
        "schema": {"type": "string", "examples": ["@1796083200"]},
    },
    "Sunset": {
        "description": "When what is deprecated goes (RFC 8594), an HTTP date",
        "schema": {"type": "string", "examples": ["Mon, 01 Mar 2027 00:00:00 GMT"]},
    },
    "Link": {
        "description": 'With a deprecation: </changelog>; rel="deprecation"',
        "schema": {"type": "string"},
    },
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry this POST safely: the same key and request within 24 hours get "
    "the first answer (with Idempotent-Replayed: true) and write nothing more; the same key "
    "with another request is an idempotency-key-reused problem.",
    "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"},
}
REQUEST_ID = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    # any value is taken (one not of the form is replaced), so the schema says string only
    "description": "Your own id for this request, echoed back and logged: 1 to 128 of "
    "A-Z a-z 0-9 . _ : -; a new one is made when it is absent or not of this form",
    "schema": {"type": "string"},
}
WEBHOOK_HEADERS = {
    "webhook-id": "The event's id, the same on every retry: deduplicate on it",
    "webhook-timestamp": "Seconds since the epoch when this attempt was signed",
    "webhook-signature": "v1,<base64 HMAC-SHA256> (Standard Webhooks), verify before use",
}


def contract(app: FastAPI) -> dict[str, Any]:
    """The document, built once per app."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            webhooks=app.webhooks.routes,
            tags=app.openapi_tags,
        )
        components = document.setdefault("components", {})
        components.setdefault("schemas", {}).update(problem_schemas())
        components["headers"] = HEADERS
        components["parameters"] = {
            "Idempotency-Key": IDEMPOTENCY_KEY,
            "X-Request-ID": REQUEST_ID,
        }
        operations = _operations(document.get("paths", {}))
        for operation in operations:
            _document_bad_cursors(operation)
            _document_idempotency(operation)
            _document_response_headers(operation)
        for operation in _operations(document.get("webhooks", {})):
            _document_delivery(operation)
        _document_links(document.get("paths", {}))
        for schema in components["schemas"].values():
            # FastAPI's OpenAPI model holds these as sets: put back in a stable order
            for field, others in schema.get("dependentRequired", {}).items():
                schema["dependentRequired"][field] = sorted(others)
        problems = set(problem_schemas())  # they echo what was sent, NUL and all
        _refuse_nul_in_text(
            {name: schema for name, schema in components["schemas"].items() if name not in problems}
        )
        _state_ordered_pairs(
            [schema.get("properties", {}) for schema in components["schemas"].values()]
            + [
                {p["name"]: p for p in operation.get("parameters", []) if "name" in p}
                for _, operation in operations
            ]
        )
        _refuse_nul_in_text([operation.get("parameters", []) for _, operation in operations])
        app.openapi_schema = document
    return app.openapi_schema


# PostgreSQL text holds no NUL character: a string of the contract without a pattern,
# format or enumeration of its own says so
NO_NUL = "^[^\\u0000]*$"


def _refuse_nul_in_text(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
            node["pattern"] = NO_NUL
        for value in node.values():
            _refuse_nul_in_text(value)
    elif isinstance(node, list):
        for value in node:
            _refuse_nul_in_text(value)


# (start, end) fields that a request sends together: the end is on or after the start
ORDERED_PAIRS = (
    ("start_date", "end_date"),
    ("active_from", "active_to"),
    ("period_start", "period_end"),
    ("since", "until"),
    ("identified_on", "lifted_on"),
    ("from", "to"),
)
# an indicator's period (YYYY-MM to YYYY-MM) spans fewer than this many calendar years
MONTH_PAIRS = {("period_start", "period_end"), ("from", "to")}


def _state_ordered_pairs(field_sets: list[dict[str, Any]]) -> None:
    """Says, on the end of each pair, what no schema can: that it follows the start."""
    for fields in field_sets:
        for start, end in ORDERED_PAIRS:
            if start in fields and end in fields:
                rule = f"On or after `{start}`."
                if (start, end) in MONTH_PAIRS:
                    rule += f" Fewer than {MAX_YEARS} calendar years after it."
                said = fields[end].get("description", "").rstrip(".")
                fields[end]["description"] = f"{said}. {rule}" if said else rule


def _document_links(paths: dict[str, Any]) -> None:
    """OpenAPI links, so that a client (or a fuzzer) can chain calls: what a create
    answers leads to the record's own operations, with its ETag as If-Match; a read
    leads to the writes with its ETag; a page leads to the next one."""
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                links = _links_of(paths, path, method, operation, response)
                if links:
                    response["links"] = links


def _links_of(
    paths: dict[str, Any], path: str, method: str, operation: dict[str, Any], response: Any
) -> dict[str, Any]:
    links: dict[str, Any] = {}
    has_etag = "ETag" in response.get("headers", {})
    if method == "get" and any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        links["next_page"] = {
            "operationId": operation["operationId"],
            "parameters": {"query.cursor": "$response.body#/next_cursor"},
        }
    if method == "post" and "201" in operation.get("responses", {}):
        for target_path, target_item in paths.items():
            parameter = _record_parameter(path, target_path)
            if parameter is None:
                continue
            for target_method, target in target_item.items():
                if target_method in METHODS:
                    links[target["operationId"]] = _link(
                        target, parameter, "$response.body#/id", has_etag
                    )
    if method == "get" and has_etag and path.endswith("}"):
        parameter = path.rsplit("{", 1)[1].rstrip("}")
        for target_method, target in paths[path].items():
            if target_method in ("patch", "put", "delete"):
                links[target["operationId"]] = _link(
                    target, parameter, f"$request.path.{parameter}", has_etag
                )
    return links


def _record_parameter(collection: str, path: str) -> str | None:
    """The id parameter of ``path`` when it is a record of ``collection`` or under one
    (``/v1/missions/{mission_id}/status`` of ``/v1/missions``)."""
    rest = path.removeprefix(collection + "/")
    if rest == path or not rest.startswith("{"):
        return None
    return rest[1:].split("}", 1)[0]


def _link(target: dict[str, Any], parameter: str, value: str, has_etag: bool) -> dict[str, Any]:
    parameters = {f"path.{parameter}": value}
    takes_if_match = any(p.get("name") == "If-Match" for p in target.get("parameters", []))
    if has_etag and takes_if_match:
        parameters["header.If-Match"] = "$response.header.ETag"
    return {"operationId": target["operationId"], "parameters": parameters}


def _operations(paths: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (method, operation)
        for item in paths.values()
        for method, operation in item.items()
        if method in METHODS
    ]


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _document_bad_cursors(method_operation: tuple[str, dict[str, Any]]) -> None:
    """Every paginated list answers a cursor it did not issue with a 400."""
    _, operation = method_operation
    parameters = operation.get("parameters", [])
    if any(p.get("name") == "cursor" and p.get("in") == "query" for p in parameters):
        bad_request = {str(status): doc for status, doc in problem_responses(400).items()}
        operation["responses"] = {**operation["responses"], **bad_request}


def _document_idempotency(method_operation: tuple[str, dict[str, Any]]) -> None:
    method, operation = method_operation
    if method != "post" or not operation.get("security"):
        return
    operation.setdefault("parameters", []).append(
        {"$ref": "#/components/parameters/Idempotency-Key"}
    )
    # a malformed key is a 400, whatever else the operation may answer
    bad_request = {str(status): doc for status, doc in problem_responses(400).items()}
    operation["responses"] = {**bad_request, **operation["responses"]}
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            response.setdefault("headers", {}).update(_header_refs("Idempotent-Replayed"))


def _document_response_headers(method_operation: tuple[str, dict[str, Any]]) -> None:
    _, operation = method_operation
    operation.setdefault("parameters", []).append({"$ref": "#/components/parameters/X-Request-ID"})
    authenticated = bool(operation.get("security"))
    for status, response in operation["responses"].items():
        names = ["X-Request-ID"]
        if authenticated:
            names += ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]
        if status in ("429", "503"):
            names.append("Retry-After")
        if status == "401":
            names.append("WWW-Authenticate")
        if status == "412":  # the record's current version (app.concurrency)
            names.append("ETag")
        response.setdefault("headers", {}).update(_header_refs(*names))


def _document_delivery(method_operation: tuple[str, dict[str, Any]]) -> None:
    """What a subscriber's endpoint receives and may answer: no validation error of
    FastAPI's own, which describes jalon's server rather than the receiver."""
    _, operation = method_operation
    operation["parameters"] = [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
        }
        for name, description in WEBHOOK_HEADERS.items()
    ]
    operation["responses"] = {
        "2XX": {"description": "Received: any 2xx acknowledges the delivery"},
        "default": {
            "description": "Anything else, or no answer within the deadline: the delivery "
            "is retried with backoff, then given up after 24 hours"
        },
    }
