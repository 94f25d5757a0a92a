"""What a change to the contract breaks for a client generated from the old one.

Breaking, for such a client: an operation gone or renamed (its function is its id), a
parameter gone or newly required, a request body that refuses what it used to take (a
member gone from a closed object, a new required member, an enum value gone, another
type), a success status gone, and an answer the old client cannot read (a member gone or
no longer always there, another type, an enum value it does not know). Anything else
(a new operation, an optional parameter, a new member in an answer) is not."""

from collections.abc import Iterator
from typing import Any, NamedTuple

METHODS = ("get", "put", "post", "delete", "patch")


class Break(NamedTuple):
    subject: str  # what a changelog declaring it must name: an operation id, a member...
    change: str


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Break]:
    return list(_operations(old, new))


def _operations(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Break]:
    for path, item in old.get("paths", {}).items():
        for method, before in item.items():
            if method not in METHODS:
                continue
            after = new.get("paths", {}).get(path, {}).get(method)
            where = f"{method.upper()} {path}"
            if after is None:
                yield Break(before.get("operationId", where), f"{where}: removed")
                continue
            was, now = before.get("operationId"), after.get("operationId")
            if was != now:
                yield Break(str(was), f"{where}: operationId {was} -> {now}")
            yield from _parameters(old, new, before, after, where)
            yield from _request_body(old, new, before, after, where)
            yield from _responses(old, new, before, after, where)


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _parameters(
    old: dict[str, Any], new: dict[str, Any], before: Any, after: Any, where: str
) -> Iterator[Break]:
    def by_name(document: dict[str, Any], operation: Any) -> dict[tuple[str, str], Any]:
        found = (_resolve(document, p) for p in operation.get("parameters", []))
        return {(p["in"], p["name"]): p for p in found}

    was, now = by_name(old, before), by_name(new, after)
    for key, parameter in was.items():
        if key not in now:
            yield Break(key[1], f"{where}: parameter {key[1]} removed")
        else:
            yield from _schema(
                old,
                new,
                parameter.get("schema"),
                now[key].get("schema"),
                f"{where} parameter {key[1]}",
                request=True,
            )
    for key, parameter in now.items():
        if parameter.get("required") and not was.get(key, {}).get("required"):
            yield Break(key[1], f"{where}: parameter {key[1]} now required")


def _request_body(
    old: dict[str, Any], new: dict[str, Any], before: Any, after: Any, where: str
) -> Iterator[Break]:
    was = _resolve(old, before.get("requestBody", {})).get("content", {})
    now = _resolve(new, after.get("requestBody", {})).get("content", {})
    for media_type in was.keys() - now.keys():
        yield Break(media_type, f"{where}: request body {media_type} no longer taken")
    yield from _contents(old, new, was, now, f"{where} body", request=True)


def _responses(
    old: dict[str, Any], new: dict[str, Any], before: Any, after: Any, where: str
) -> Iterator[Break]:
    for status, response in before.get("responses", {}).items():
        answer = after.get("responses", {}).get(status)
        if answer is None:
            if status.startswith("2"):
                yield Break(before.get("operationId", where), f"{where}: status {status} removed")
            continue
        was = _resolve(old, response).get("content", {})
        now = _resolve(new, answer).get("content", {})
        yield from _contents(old, new, was, now, f"{where} {status}", request=False)


def _contents(
    old: dict[str, Any],
    new: dict[str, Any],
    was: dict[str, Any],
    now: dict[str, Any],
    where: str,
    *,
    request: bool,
) -> Iterator[Break]:
    """The schemas of the media types both sides have."""
    for media_type in was.keys() & now.keys():
        before, after = was[media_type].get("schema"), now[media_type].get("schema")
        yield from _schema(old, new, before, after, where, request=request)


def _schema(
    old: dict[str, Any],
    new: dict[str, Any],
    before: Any,
    after: Any,
    where: str,
    *,
    request: bool,
    seen: frozenset[tuple[int, int]] = frozenset(),
) -> Iterator[Break]:
    """``request``: the old client sends what ``before`` allows; otherwise it reads what
    ``after`` gives."""
    before, after = _resolve(old, before), _resolve(new, after)
    if not isinstance(before, dict) or not isinstance(after, dict):
        return
    if (id(before), id(after)) in seen:
        return
    seen = seen | {(id(before), id(after))}
    if _types(old, before) != _types(new, after):
        narrower = not _types(old, before) <= _types(new, after)
        wider = not _types(new, after) <= _types(old, before)
        if (request and narrower) or (not request and wider):
            yield Break(
                _subject(where),
                f"{where}: type {sorted(_types(old, before))} -> {sorted(_types(new, after))}",
            )
    was_enum, now_enum = _enum(old, before), _enum(new, after)
    if was_enum is not None and now_enum is not None:
        gone, added = was_enum - now_enum, now_enum - was_enum
        if request and gone:
            yield Break(_subject(where), f"{where}: enum values {sorted(gone)} no longer taken")
        if not request and added:
            yield Break(_subject(where), f"{where}: enum values {sorted(added)} may be answered")
    was_members, now_members = _members(old, before), _members(new, after)
    was_required, now_required = _required(old, before), _required(new, after)
    for name, member in was_members.items():
        if name not in now_members:
            if not request or after.get("additionalProperties") is False:
                yield Break(name, f"{where}: member {name} removed")
            continue
        if not request and name in was_required and name not in now_required:
            yield Break(name, f"{where}: member {name} no longer always answered")
        yield from _schema(
            old, new, member, now_members[name], f"{where}.{name}", request=request, seen=seen
        )
    if request:
        for name in now_required - was_required:
            yield Break(name, f"{where}: member {name} now required")
    if "items" in before and "items" in after:
        yield from _schema(
            old, new, before["items"], after["items"], f"{where}[]", request=request, seen=seen
        )


def _variants(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [_resolve(document, s) for s in schema[key]]
    return [schema]


def _types(document: dict[str, Any], schema: dict[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for variant in _variants(document, schema):
        kind = variant.get("type")
        if isinstance(kind, list):
            found |= set(kind)
        elif kind is not None:
            found.add(kind)
        elif "properties" in variant:
            found.add("object")
    return frozenset(found)


def _enum(document: dict[str, Any], schema: dict[str, Any]) -> frozenset[Any] | None:
    values: set[Any] = set()
    for variant in _variants(document, schema):
        if variant.get("type") == "null":
            continue
        if "enum" not in variant and "const" not in variant:
            return None
        values |= set(variant.get("enum", [variant.get("const")]))
    return frozenset(values)


def _members(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for variant in _variants(document, schema):
        members |= variant.get("properties", {})
    return members


def _required(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    required: set[str] = set()
    for variant in _variants(document, schema):
        required |= set(variant.get("required", []))
    return required


def _subject(where: str) -> str:
    """The innermost member named in ``where`` (``POST /v1/x body.a.b[]`` -> ``b``)."""
    return where.rsplit(" ", 1)[-1].rsplit(".", 1)[-1].removesuffix("[]")
