"""Keyset pagination shared by every list: ``?limit=&cursor=`` -> ``{items, next_cursor}``.

A cursor holds the sort key of the last item served, bound to the list it came
from and signed, so that a client can neither forge nor transplant one; a bad
cursor is a 400 problem.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, Select, String, bindparam, cast, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.errors import CursorInvalid

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_SIGNATURE_BYTES = 16


ItemT = TypeVar("ItemT")
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


EXAMPLE_CURSOR = "WyJtaXNzaW9ucyIsWyIyMDI2LTExLTI2VDA5OjMwOjAwWiJdXQ.c2lnbmF0dXJl"


def page_example(schema: dict[str, Any], page_class: type[BaseModel]) -> None:
    """The example of a page of some model: its item's example, and a cursor."""
    (item_class,) = page_class.__pydantic_generic_metadata__["args"] or (None,)
    item_examples = getattr(item_class, "model_config", {}).get("json_schema_extra") or {}
    if isinstance(item_examples, dict) and item_examples.get("examples"):
        schema["examples"] = [
            {"items": item_examples["examples"][:1], "next_cursor": EXAMPLE_CURSOR}
        ]


class Page(BaseModel, Generic[ItemT]):
    model_config = ConfigDict(json_schema_extra=page_example)

    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page."
    )


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, list_name: str, key: Sequence[Any]) -> str:
        payload = orjson.dumps([list_name, list(key)], default=str)
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, list_name: str, cursor: str) -> list[Any]:
        try:
            payload_part, signature_part = cursor.split(".")
            payload = _unb64(payload_part)
            signature = _unb64(signature_part)
        except (ValueError, binascii.Error):
            raise CursorInvalid("the cursor is malformed") from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise CursorInvalid("the cursor was not issued by this list or was altered")
        name, key = orjson.loads(payload)
        if name != list_name:
            raise CursorInvalid("the cursor was not issued by this list or was altered")
        return list(key)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None
    codec: CursorCodec

    def after(self, list_name: str) -> list[Any] | None:
        return None if self.cursor is None else self.codec.decode(list_name, self.cursor)


async def page_request(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=2048,
            pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
            description="next_cursor of the previous page, as it was issued",
        ),
    ] = None,
) -> PageRequest:
    codec: CursorCodec = request.app.state.cursor_codec
    return PageRequest(limit=limit, cursor=cursor, codec=codec)


PageDep = Annotated[PageRequest, Depends(page_request)]


def keyset(
    statement: SelectT,
    sort_key: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
    after: Sequence[Any] | None,
    limit: int,
) -> SelectT:
    """Orders by the sort key (unique), starts after the cursor, and fetches one row
    more than the page so that the next cursor is known without a count. The values
    are named parameters (see :func:`keyset_values`), so that the statement can be
    compiled once for every page of the same shape."""
    if after is not None:
        _check_cursor_length(sort_key, after)
        # the values come back as JSON strings: PostgreSQL casts them to the key's types
        # (safe, the cursor is signed, so they are values this list issued)
        bounds = [
            cast(bindparam(f"after_{index}", str(value), type_=String()), column.type)
            for index, (column, value) in enumerate(zip(sort_key, after, strict=True))
        ]
        statement = statement.where(tuple_(*sort_key) > tuple_(*bounds))
    return statement.order_by(*sort_key).limit(bindparam("limit", limit + 1, type_=Integer()))


def keyset_values(
    sort_key: Sequence[object], after: Sequence[Any] | None, limit: int
) -> dict[str, object]:
    """The parameters of a :func:`keyset` statement compiled once."""
    values: dict[str, object] = {"limit": limit + 1}
    if after is not None:
        _check_cursor_length(sort_key, after)
        values.update({f"after_{index}": str(value) for index, value in enumerate(after)})
    return values


def _check_cursor_length(sort_key: Sequence[object], after: Sequence[Any]) -> None:
    if len(after) != len(sort_key):
        raise CursorInvalid("the cursor is malformed")


def build_page(
    rows: Sequence[ItemT],
    page: PageRequest,
    list_name: str,
    sort_key_of: Callable[[ItemT], Sequence[Any]],
) -> "Page[ItemT]":
    items = list(rows[: page.limit])
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = page.codec.encode(list_name, sort_key_of(items[-1]))
    return Page[ItemT](items=items, next_cursor=next_cursor)


def page_of(
    rows: Sequence[dict[str, Any]], page: PageRequest, list_name: str, sort_key: Sequence[str]
) -> dict[str, Any]:
    """A page as :class:`Page` serialises it, from rows read by a :func:`keyset`
    statement; the cursor holds the named columns of the last item."""
    items = list(rows[: page.limit])
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = page.codec.encode(list_name, [items[-1][name] for name in sort_key])
    return {"items": items, "next_cursor": next_cursor}
