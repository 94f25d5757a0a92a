import datetime as dt
import uuid
from typing import Any, Generic

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.pagination import ItemT, page_example
from app.tombstones.models import TombstoneKind

TOMBSTONE_RULE = (
    "With `updated_since`: the records of this list that left your view since then, "
    "merged with `items` in one (time, id) order and paged with them (a record and its "
    "tombstone of the same instant are on the same page). `deleted`: the record is gone; "
    "`pseudonymised`: it stays, without its personal data, which you must erase from "
    "your copy; `removed`: you no longer see it (it moved, or left your network). Empty "
    "without `updated_since`."
)


TOMBSTONE_EXAMPLE: JsonDict = {
    "id": "0d9e2f1a-3b4c-4d5e-8f60-718293a4b5c6",
    "kind": "pseudonymised",
    "deleted_at": "2026-11-30T08:00:00Z",
}


def _sync_page_example(schema: dict[str, Any], page_class: type[BaseModel]) -> None:
    page_example(schema, page_class)
    for example in schema.get("examples", []):
        example["deleted"] = [TOMBSTONE_EXAMPLE]


class TombstoneRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TOMBSTONE_EXAMPLE]})

    id: uuid.UUID = Field(description="The id of the record gone")
    kind: TombstoneKind
    deleted_at: dt.datetime


class SyncPage(BaseModel, Generic[ItemT]):
    """A page of a list a connector syncs with ``updated_since``."""

    model_config = ConfigDict(json_schema_extra=_sync_page_example)

    items: list[ItemT]
    deleted: list[TombstoneRead] = Field(description=TOMBSTONE_RULE)
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page."
    )
