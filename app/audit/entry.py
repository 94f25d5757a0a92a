"""What an audit entry says about a write: pure functions of the request and its answer."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import orjson

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# operations that take a POST but write nothing
READ_ONLY_OPERATIONS = frozenset({"validate_contract"})
# request.state: the field names a route noted itself (a bulk import, parsed once)
FIELDS_NOTED = "audit_fields"
# a larger body is not parsed again for its field names
KEPT_BODY_BYTES = 1_048_576
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]{1,80}$")
_MAX_FIELDS = 100


@dataclass(frozen=True)
class AuditFacts:
    action: str
    method: str
    resource: str
    resource_id: str | None
    status: int
    fields: list[str]


def is_write(method: str, path: str, operation: str | None) -> bool:
    if method not in WRITE_METHODS or not path.startswith("/v1/") or operation is None:
        return False
    return operation not in READ_ONLY_OPERATIONS


def resource_of(path: str) -> str:
    """``/v1/contracts/…`` -> ``contracts``."""
    return path.split("/")[2]


def resource_id_of(path_params: Mapping[str, object], location: str | None) -> str | None:
    """The record written: the route's first path parameter, or the one just created."""
    for value in path_params.values():
        return str(value)
    if location:
        return location.rstrip("/").rsplit("/", 1)[-1]
    return None


def field_names(body: bytes) -> list[str]:
    """The names of the fields a JSON (or NDJSON) body sent, sorted: for a list, those of
    its items. Never a value; names that are not plain identifiers are left out."""
    documents: list[object]
    try:
        documents = [orjson.loads(body)]
    except orjson.JSONDecodeError:
        try:
            documents = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        except orjson.JSONDecodeError:
            return []
    items = [i for d in documents for i in (d if isinstance(d, list) else [d])]
    return names_of(items)


def names_of(items: Iterable[object]) -> list[str]:
    """The field names of parsed items (a route that has them saves the middleware
    parsing a large body again: ``request.state.audit_fields``)."""
    names: set[object] = set()
    for item in items:
        if isinstance(item, dict):
            names.update(item)  # the keys, unchecked: checked once each below
    return sorted(n for n in names if isinstance(n, str) and _FIELD_NAME.match(n))[:_MAX_FIELDS]
