"""JSON written straight from database values, for the hot paths.

One orjson pass instead of validating rows into response models and serialising
those: the same JSON as the models give (UTC times with ``Z``, decimals and UUIDs as
strings), which the contract tests check against the models.
"""

import uuid
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response


def _as_text(value: object) -> str:
    # asyncpg's UUIDs are a subclass, which orjson leaves to this hook
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload, default=_as_text, option=orjson.OPT_UTC_Z)


class DirectJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
