"""The events jalon sends, their payloads, and who may receive each.

Payloads carry identifiers and facts, never a salarié's identity (names, birth date,
NIR). Events about parcours, contracts, PASS IAE, derogations and objectives are
personal data: like the API, they go to admin keys and the structure's own keys only.
"""

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, Field, create_model

from app.reference.decimals import DecimalText
from app.reference.enums import ContractKind, ExitCategory, ExitMotif, MissionStatus


class EventType(StrEnum):
    mission_created = "mission.created"
    mission_status_changed = "mission.status_changed"
    mission_hours_recorded = "mission.hours_recorded"
    contract_created = "contract.created"
    contract_amended = "contract.amended"
    contract_ending_soon = "contract.ending_soon"
    pass_iae_expiring = "pass_iae.expiring"
    derogation_expiring = "derogation.expiring"
    parcours_exited = "parcours.exited"
    objective_reached = "objective.reached"
    fiche_salarie_rejected = "fiche_salarie.rejected"
    month_still_open = "month.still_open"


MISSION_EVENTS = frozenset(
    {EventType.mission_created, EventType.mission_status_changed, EventType.mission_hours_recorded}
)
PERSONAL_EVENTS = frozenset(EventType) - MISSION_EVENTS


class MissionCreatedData(BaseModel):
    mission_id: uuid.UUID
    company_id: uuid.UUID
    structure_id: uuid.UUID
    external_ref: str
    status: MissionStatus
    start_date: dt.date
    end_date: dt.date


class MissionStatusChangedData(BaseModel):
    mission_id: uuid.UUID
    company_id: uuid.UUID
    structure_id: uuid.UUID
    from_status: MissionStatus
    to_status: MissionStatus


class MissionHoursRecordedData(BaseModel):
    mission_id: uuid.UUID
    company_id: uuid.UUID
    structure_id: uuid.UUID
    month: str = Field(examples=["2025-04"])
    hours: DecimalText = Field(description="The mission's hours that month, every salarié together")


class ContractCreatedData(BaseModel):
    contract_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    kind: ContractKind
    start_date: dt.date
    end_date: dt.date | None


class ContractAmendedData(BaseModel):
    contract_id: uuid.UUID
    parcours_id: uuid.UUID
    structure_id: uuid.UUID
    amendment_id: uuid.UUID
    end_date: dt.date | None
    weekly_hours: DecimalText


class ContractEndingSoonData(BaseModel):
    contract_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    end_date: dt.date


class PassIaeExpiringData(BaseModel):
    pass_iae_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    end_date: dt.date


class DerogationExpiringData(BaseModel):
    derogation_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    end_date: dt.date


class ParcoursExitedData(BaseModel):
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    exit_date: dt.date
    motif: ExitMotif
    category: ExitCategory


class ObjectiveReachedData(BaseModel):
    objective_id: uuid.UUID
    parcours_id: uuid.UUID
    structure_id: uuid.UUID
    reached_on: dt.date


class FicheSalarieRejectedData(BaseModel):
    fiche_salarie_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    asp_code: str = Field(
        examples=["3417"], description="The ASP's code; its label is on the fiche (free text)"
    )


class MonthStillOpenData(BaseModel):
    structure_id: uuid.UUID
    month: str = Field(examples=["2026-11"])
    due_date: dt.date = Field(description="The day it was to be closed by")


DATA_MODELS: dict[EventType, type[BaseModel]] = {
    EventType.mission_created: MissionCreatedData,
    EventType.mission_status_changed: MissionStatusChangedData,
    EventType.mission_hours_recorded: MissionHoursRecordedData,
    EventType.contract_created: ContractCreatedData,
    EventType.contract_amended: ContractAmendedData,
    EventType.contract_ending_soon: ContractEndingSoonData,
    EventType.pass_iae_expiring: PassIaeExpiringData,
    EventType.derogation_expiring: DerogationExpiringData,
    EventType.parcours_exited: ParcoursExitedData,
    EventType.objective_reached: ObjectiveReachedData,
    EventType.fiche_salarie_rejected: FicheSalarieRejectedData,
    EventType.month_still_open: MonthStillOpenData,
}

DESCRIPTIONS: dict[EventType, str] = {
    EventType.mission_created: "A mission was created (POST, PUT by reference, or bulk).",
    EventType.mission_status_changed: "A mission moved along its status machine.",
    EventType.mission_hours_recorded: "Hours were recorded on a mission for a month.",
    EventType.contract_created: "A contract was signed in a parcours. Personal data.",
    EventType.contract_amended: "An avenant changed a contract. Personal data.",
    EventType.contract_ending_soon: "A contract of a parcours under way ends within "
    "JALON_WEBHOOK_DUE_WITHIN_DAYS (30). Sent once per end date. Personal data.",
    EventType.pass_iae_expiring: "A PASS IAE of a parcours under way ends within "
    "JALON_WEBHOOK_DUE_WITHIN_DAYS (30). Sent once per end date. Personal data.",
    EventType.derogation_expiring: "A derogation of a parcours under way ends within "
    "JALON_WEBHOOK_DUE_WITHIN_DAYS (30). Sent once per end date. Personal data.",
    EventType.parcours_exited: "A salarié's exit was recorded. Personal data.",
    EventType.objective_reached: "An objective of a parcours was reached. Personal data.",
    EventType.fiche_salarie_rejected: "The ASP's return file rejected a fiche salarié, "
    "with its code and label: fix its facts and make it ready again. Personal data.",
    EventType.month_still_open: "Past the 10th (JALON_RULES__MONTH_CLOSE_BY_DAY), the "
    "structure has not closed last month, when it had contracts in force. Sent once per "
    "structure and month.",
}

DataT = TypeVar("DataT", bound=BaseModel)


class EventPayload(BaseModel, Generic[DataT]):
    """The body of every delivery; the headers carry webhook-id (the same on every
    retry of an event), webhook-timestamp and webhook-signature."""

    type: str
    timestamp: dt.datetime = Field(description="When the change happened")
    data: DataT


def payload(event_type: str, occurred_at: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": occurred_at, "data": data}


def document(webhooks: APIRouter) -> None:
    """Each event in the OpenAPI document's webhooks section, with its payload schema."""
    for event_type, data in DATA_MODELS.items():
        model = create_model(
            f"{data.__name__.removesuffix('Data')}Event",
            __base__=EventPayload[data],  # type: ignore[valid-type]
            # a Literal of a runtime value: the document says which type each payload has
            type=(Literal[event_type.value], Field(examples=[event_type.value])),  # type: ignore[arg-type]
        )
        webhooks.add_api_route(
            event_type.value,
            _receiver(model),
            methods=["POST"],
            summary=event_type.value,
            description=DESCRIPTIONS[event_type],
            operation_id=event_type.value.replace(".", "_"),
            status_code=204,
        )


def _receiver(model: type[BaseModel]) -> Callable[..., Awaitable[None]]:
    async def receiver(body: model) -> None:  # type: ignore[valid-type]
        """What a subscriber's endpoint receives; any 2xx acknowledges it."""

    return receiver
