import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.errors import RuleViolation
from app.reference.decimals import DecimalText, Digits
from app.reference.enums import (
    ActionKind,
    ContractKind,
    DerogationKind,
    ExitCategory,
    ExitMotif,
    Frein,
    ParcoursStatus,
)
from app.reference.schemas import Day

WeeklyHours = Annotated[Decimal, Digits(5, 2, example="26", gt=0, le=48)]

_IDS: dict[str, Any] = {
    "id": "8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a",
    "salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
}


class ParcoursCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"salarie_id": _IDS["salarie_id"], "entry_date": "2025-01-06"}]
        },
    )

    salarie_id: uuid.UUID
    entry_date: Day


class ExitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"exit_date": "2026-06-30", "motif": "cdi"}]},
    )

    exit_date: Day
    motif: ExitMotif


class ParcoursRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                _IDS
                | {
                    "entry_date": "2025-01-06",
                    "status": "sorti",
                    "exit_date": "2026-06-30",
                    "exit_motif": "cdi",
                    "exit_category": "emploi_durable",
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    entry_date: Day
    status: ParcoursStatus
    exit_date: Day | None
    exit_motif: ExitMotif | None
    exit_category: ExitCategory | None = Field(description="Derived by jalon from the motif")
    created_at: dt.datetime
    updated_at: dt.datetime


_CONTRACT: dict[str, Any] = {
    "kind": "cddi",
    "start_date": "2025-01-06",
    "end_date": "2025-07-05",
    "weekly_hours": "26",
}


class ContractCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CONTRACT]})

    kind: ContractKind
    start_date: Day
    end_date: Day | None = Field(None, description="None only for a CDI inclusion")
    weekly_hours: WeeklyHours


class ContractCheck(ContractCreate):
    """A contract to check without writing it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"parcours_id": _IDS["id"], **_CONTRACT}]},
    )

    parcours_id: uuid.UUID


class AmendmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"signed_on": "2025-06-20", "end_date": "2026-01-05"}]},
    )

    signed_on: Day
    end_date: Day | None = Field(None, description="The new end (a renewal)")
    weekly_hours: WeeklyHours | None = None


class AmendmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    signed_on: Day
    previous_end_date: Day | None
    new_end_date: Day | None
    previous_weekly_hours: DecimalText
    new_weekly_hours: DecimalText


class ContractRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
                    "parcours_id": _IDS["id"],
                    "salarie_id": _IDS["salarie_id"],
                    "structure_id": _IDS["structure_id"],
                    **_CONTRACT,
                    "warnings": [],
                    "amendments": [],
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    structure_id: uuid.UUID
    kind: ContractKind
    start_date: Day
    end_date: Day | None
    weekly_hours: DecimalText
    warnings: list[RuleViolation] = Field(description="Rules bent but not broken, kept")
    amendments: list[AmendmentRead] = Field(description="Avenants, oldest first")
    created_at: dt.datetime
    updated_at: dt.datetime


class CheckReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": False,
                    "violations": [
                        {
                            "code": "cddi_too_short",
                            "severity": "blocking",
                            "rule": "a CDDI lasts at least 4 months",
                            "article": "L5132-15-1",
                            "values": {
                                "start": "2025-01-06",
                                "end": "2025-04-30",
                                "earliest_end": "2025-05-05",
                            },
                        }
                    ],
                }
            ]
        }
    )

    valid: bool = Field(description="True when no blocking rule is broken")
    violations: list[RuleViolation]


class DerogationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "moins_20h_prefet",
                    "reason": "arrêté préfectoral du 3 février 2025",
                    "start_date": "2025-02-03",
                    "end_date": "2026-02-02",
                }
            ]
        },
    )

    kind: DerogationKind
    reason: Annotated[str | None, Field(max_length=500)] = None
    start_date: Day
    end_date: Day


class DerogationRead(DerogationCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    parcours_id: uuid.UUID
    created_at: dt.datetime


class HoursSet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"hours": "112.5"}]})

    hours: Annotated[Decimal, Digits(6, 2, example="151.67", ge=0)]


class HoursRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "contract_id": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
                    "month": "2025-03",
                    "hours": "112.50",
                }
            ]
        },
    )

    contract_id: uuid.UUID
    month: str = Field(description="YYYY-MM")
    hours: DecimalText


class ActionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "entretien",
                    "done_on": "2025-02-10",
                    "duration_minutes": 45,
                    "note": "bilan à 1 mois",
                }
            ]
        },
    )

    kind: ActionKind
    done_on: Day
    duration_minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    note: Annotated[str | None, Field(max_length=2000)] = None


class ActionRead(ActionCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    parcours_id: uuid.UUID
    created_at: dt.datetime


class FreinCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "mobilite", "identified_on": "2025-01-20"}]},
    )

    kind: Frein
    identified_on: Day
    lifted_on: Day | None = None


class FreinUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"lifted_on": "2025-05-02"}]}
    )

    lifted_on: Day | None


class FreinRead(FreinCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    parcours_id: uuid.UUID
    created_at: dt.datetime


class ObjectiveCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"label": "Permis B", "target_date": "2025-09-30"}]},
    )

    label: Annotated[str, Field(min_length=1, max_length=300)]
    target_date: Day
    reached_on: Day | None = None


class ObjectiveUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reached_on": "2025-09-12"}]}
    )

    reached_on: Day | None


class ObjectiveRead(ObjectiveCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    parcours_id: uuid.UUID
    created_at: dt.datetime
