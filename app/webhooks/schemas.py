import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from app.reference.schemas import Kept
from app.webhooks.events import EventType

EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]
_SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "url": "https://erp.example.com/jalon/events",
    "event_types": ["mission.created", "mission.status_changed"],
    "description": "ERP des achats",
}


def _distinct(types: list[EventType]) -> list[EventType]:
    return sorted(set(types))


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_SUBSCRIPTION_EXAMPLE]}
    )

    url: Annotated[AnyHttpUrl, Field(max_length=2048)]
    event_types: EventTypes
    description: Annotated[str | None, Field(max_length=200)] = None

    _distinct_types = field_validator("event_types")(_distinct)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"state": "active"}]})

    url: Kept[Annotated[AnyHttpUrl, Field(max_length=2048)]] = None
    event_types: Kept[EventTypes] = None
    description: Annotated[str | None, Field(max_length=200)] = None
    state: Kept[Literal["active", "disabled"]] = Field(
        None, description="active resumes a failing or disabled subscription"
    )

    _distinct_types = field_validator("event_types")(
        lambda types: None if types is None else _distinct(types)
    )


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_SUBSCRIPTION_EXAMPLE,
                    "id": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
                    "key_id": "3c2d1e0f-4b5a-4968-8776-5a4b3c2d1e0f",
                    "state": "active",
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    key_id: uuid.UUID
    url: str
    event_types: list[EventType]
    description: str | None
    state: Literal["active", "failing", "disabled"] = Field(
        description="active; failing (an event was given up after 24 h); disabled"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description="Shown this once: verifies webhook-signature (Standard Webhooks)",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    attempted_at: dt.datetime
    status_code: int | None = Field(description="The receiver's answer; null when none came")
    error: str | None = Field(description="timeout, a connection error, or a refused target")
    duration_ms: int
    next_attempt_at: dt.datetime | None = Field(
        description="When the next try was scheduled: the back-off; null after the last"
    )


class DeliveryRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 812,
                    "event_id": 40511,
                    "webhook_id": "evt_40511",
                    "event_type": "mission.status_changed",
                    "state": "delivered",
                    "attempts": 2,
                    "delivered_at": "2026-11-26T09:31:02Z",
                    "next_attempt_at": "2026-11-26T09:31:00Z",
                    "log": [
                        {
                            "number": 1,
                            "attempted_at": "2026-11-26T09:30:30Z",
                            "status_code": 500,
                            "error": None,
                            "duration_ms": 41,
                            "next_attempt_at": "2026-11-26T09:31:00Z",
                        },
                        {
                            "number": 2,
                            "attempted_at": "2026-11-26T09:31:02Z",
                            "status_code": 200,
                            "error": None,
                            "duration_ms": 37,
                            "next_attempt_at": None,
                        },
                    ],
                }
            ]
        }
    )

    id: int
    event_id: int
    webhook_id: str = Field(description="The webhook-id header of every attempt")
    event_type: EventType
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime
    log: list[AttemptRead]
