import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.errors import ProblemDocument, RuleViolation
from app.reference.decimals import DecimalText, Digits
from app.reference.enums import ActivitySector, MissionKind, MissionStatus
from app.reference.schemas import CommuneCode, Day, Kept

ExternalRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="The company's own id for the mission (its ERP's), unique per company",
        examples=["PO-2025-00042"],
    ),
]
Hours = Annotated[Decimal, Digits(10, 2, example="350.00", ge=0)]
Money = Annotated[Decimal, Digits(14, 2, example="18500.00", ge=0)]

_MISSION: dict[str, Any] = {
    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
    "title": "Entretien des espaces verts du site de Brest",
    "kind": "prestation",
    "sector": "espaces_verts",
    "commune_code": "29019",
    "start_date": "2025-03-01",
    "end_date": "2025-10-31",
    "planned_hours": "1200",
    "amount_ht": "48500.00",
    "social_clause": {"insertion_hours_target": "600"},
}


class SocialClause(BaseModel):
    model_config = ConfigDict(extra="forbid")

    insertion_hours_target: Hours = Field(description="Heures d'insertion the contract requires")


class MissionInput(BaseModel):
    """A mission as a company's ERP sends it (PUT by-ref: its external_ref is in the path)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MISSION]})

    structure_id: uuid.UUID
    title: Annotated[str, Field(min_length=1, max_length=300)]
    kind: MissionKind
    sector: ActivitySector
    commune_code: CommuneCode = Field(description="Where the work is done (INSEE code)")
    start_date: Day
    end_date: Day
    planned_hours: Hours
    amount_ht: Money = Field(description="Amount excluding tax, euros, exact")
    social_clause: SocialClause | None = Field(
        None, description="A public-contract social clause, with its insertion-hours target"
    )

    @model_validator(mode="after")
    def period_ordered(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class MissionCreate(MissionInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"external_ref": "PO-2025-00042", **_MISSION}]},
    )

    external_ref: ExternalRef
    company_id: uuid.UUID | None = Field(
        None, description="Admin keys name the company; a company key's own by default"
    )


class MissionUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_ht": "51000.00"}]}
    )

    title: Kept[Annotated[str, Field(min_length=1, max_length=300)]] = None
    planned_hours: Kept[Hours] = None
    amount_ht: Kept[Money] = None
    start_date: Kept[Day] = None
    end_date: Kept[Day] = None


class StatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "acceptee"}]}
    )

    status: MissionStatus


class MissionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "4c3b2a19-0817-4f6e-9d5c-4b3a29180716",
                    "company_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                    "external_ref": "PO-2025-00042",
                    **_MISSION,
                    "departement_code": "29",
                    "region_code": "53",
                    "status": "acceptee",
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    company_id: uuid.UUID
    structure_id: uuid.UUID
    external_ref: str
    title: str
    kind: MissionKind
    sector: ActivitySector
    commune_code: str
    departement_code: str
    region_code: str
    start_date: Day
    end_date: Day
    planned_hours: DecimalText
    amount_ht: DecimalText
    social_clause: SocialClause | None
    status: MissionStatus
    created_at: dt.datetime
    updated_at: dt.datetime


Outcome = Literal["created", "updated", "unchanged", "error"]


class BulkItemResult(BaseModel):
    index: int = Field(description="Position of the item in the batch, from 0")
    external_ref: str | None
    outcome: Outcome
    id: uuid.UUID | None = None
    problem: ProblemDocument | None = None


class BulkCounts(BaseModel):
    created: int
    updated: int
    unchanged: int
    error: int


class BulkReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "partial",
                    "dry_run": False,
                    "written": True,
                    "counts": {"created": 1, "updated": 0, "unchanged": 0, "error": 1},
                    "items": [
                        {
                            "index": 0,
                            "external_ref": "PO-2025-00042",
                            "outcome": "created",
                            "id": "4c3b2a19-0817-4f6e-9d5c-4b3a29180716",
                        },
                        {
                            "index": 1,
                            "external_ref": "PO-2025-00043",
                            "outcome": "error",
                            "problem": {
                                "type": "https://jalon.dev/problems/validation-failed",
                                "title": "Validation failed",
                                "status": 422,
                                "detail": "the item has invalid fields",
                                "errors": [
                                    {
                                        "pointer": "/1/amount_ht",
                                        "detail": "Input should be greater than or equal to 0",
                                    }
                                ],
                            },
                        },
                    ],
                }
            ]
        }
    )

    mode: Literal["atomic", "partial"]
    dry_run: bool
    written: bool = Field(description="False in a dry run, or an atomic batch with errors")
    counts: BulkCounts
    items: list[BulkItemResult]


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"}]},
    )

    salarie_id: uuid.UUID


class MissionHoursSet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"hours": "64"}]})

    hours: Annotated[Decimal, Digits(7, 2, example="151.67", ge=0)]


class SalarieHoursRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                    "month": "2025-04",
                    "hours": "64.00",
                    "warnings": [],
                }
            ]
        }
    )

    salarie_id: uuid.UUID
    month: str
    hours: DecimalText
    warnings: list[RuleViolation] = []


class MonthHours(BaseModel):
    month: str
    hours: DecimalText
    salaries: int = Field(description="How many salariés worked that month")


class MissionHoursSummary(BaseModel):
    """What a company sees of the work on its mission: counts and hours, no identity."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mission_id": "4c3b2a19-0817-4f6e-9d5c-4b3a29180716",
                    "assigned_salaries": 3,
                    "total_hours": "410.50",
                    "months": [{"month": "2025-04", "hours": "150.00", "salaries": 3}],
                    "by_salarie": None,
                }
            ]
        }
    )

    mission_id: uuid.UUID
    assigned_salaries: int
    total_hours: DecimalText
    months: list[MonthHours]
    by_salarie: list[SalarieHoursRead] | None = Field(
        description="Per salarié: for the structure and admin only"
    )


class BatchProblem(ProblemDocument):
    """A problem answering a batch: a ``batch-rejected`` one (atomic mode, an item has
    errors, nothing written) carries the batch's report; any other (the request itself
    is invalid) does not."""

    mode: Literal["atomic", "partial"] | None = None
    dry_run: bool | None = None
    written: bool | None = None
    counts: BulkCounts | None = None
    items: list[BulkItemResult] | None = None
