import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.errors import RuleViolation
from app.reference.enums import (
    CERTIFIABLE_CRITERIA,
    DiagnosticAuthor,
    EligibilityCriterion,
    Gender,
    PassAdjustmentKind,
    PassAdjustmentReason,
)
from app.reference.schemas import CommuneCode, Day, Kept
from app.salaries.nir import validate_nir

PersonName = Annotated[str, Field(min_length=1, max_length=100)]
Nir = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{5}(2[AB]|[0-9]{2})[0-9]{8}$",
        description="15 characters, the last two its control key (97 less the rest modulo "
        "97, Corsica's 2A and 2B read as 19 and 18). Write-only: validated, kept as a keyed "
        "hash, never returned",
    ),
    AfterValidator(validate_nir),
]
FranceTravailId = Annotated[str, Field(pattern=r"^[0-9A-Z]{7,20}$", examples=["1234567A"])]

_SALARIE_EXAMPLE: dict[str, Any] = {
    "first_name": "Maëlle",
    "last_name": "Le Goff",
    "birth_date": "1991-04-12",
    "gender": "femme",
    "commune_code": "29019",
    "residence_qpv": True,
    "residence_zrr": False,
    "criteria": ["rsa"],
    "france_travail_id": "4567890B",
}


def _distinct_criteria(criteria: list[EligibilityCriterion]) -> list[EligibilityCriterion]:
    return sorted(set(criteria))


Criteria = Annotated[list[EligibilityCriterion], AfterValidator(_distinct_criteria)]


class SalarieCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{**_SALARIE_EXAMPLE, "nir": "2910429019123 45"}]},
    )

    structure_id: uuid.UUID | None = Field(
        None, description="Admin keys name the structure; a structure key's own by default"
    )
    first_name: PersonName
    last_name: PersonName
    birth_date: Day
    gender: Gender
    commune_code: CommuneCode | None = None
    residence_qpv: bool = False
    residence_zrr: bool = False
    criteria: Criteria = []
    nir: Nir | None = None
    france_travail_id: FranceTravailId | None = None

    @field_validator("birth_date")
    @classmethod
    def plausible(cls, birth_date: Day) -> dt.date:
        if not dt.date(1900, 1, 1) <= birth_date <= dt.date.today():
            raise ValueError("the birth date is in the past, after 1900")
        return birth_date


class SalarieUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"criteria": ["rsa", "rqth"]}]}
    )

    first_name: Kept[PersonName] = None
    last_name: Kept[PersonName] = None
    birth_date: Kept[Day] = None
    gender: Kept[Gender] = None
    commune_code: CommuneCode | None = None
    residence_qpv: Kept[bool] = None
    residence_zrr: Kept[bool] = None
    criteria: Kept[Criteria] = None
    nir: Nir | None = None
    france_travail_id: FranceTravailId | None = None


class SalarieRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_SALARIE_EXAMPLE,
                    "id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "has_nir": True,
                    "pseudonymised_at": None,
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    structure_id: uuid.UUID
    first_name: str | None = Field(description="null once pseudonymised")
    last_name: str | None = Field(description="null once pseudonymised")
    birth_date: Day | None = Field(description="null once pseudonymised")
    gender: Gender
    commune_code: str | None
    residence_qpv: bool
    residence_zrr: bool
    criteria: list[EligibilityCriterion]
    has_nir: bool
    france_travail_id: str | None
    pseudonymised_at: dt.datetime | None = Field(
        description="When the identity was removed (DELETE, or `jalon purge`)"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class PassIaeSet(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"number": "999992412345", "start_date": "2025-01-06"}]},
    )

    number: Annotated[str, Field(pattern=r"^[0-9A-Z]{12}$", description="12 characters")]
    start_date: Day
    prescriber_orientation: bool = Field(
        False,
        description="An authorised prescriber orients the person: the 2-year wait after the "
        "salarié's earlier PASS IAE does not apply",
    )


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "suspension",
                    "reason": "arret_maladie",
                    "start_date": "2025-03-01",
                    "end_date": "2025-03-31",
                }
            ]
        },
    )

    kind: PassAdjustmentKind
    reason: PassAdjustmentReason = Field(
        description="A suspension's motive (the contract suspended for more than 15 days: "
        "`arret_maladie`, `conge_maternite`, `incarceration`, `force_majeure`; broken or "
        "ended: `rupture_contrat`, `contrat_hors_iae`, `periode_essai_hors_iae`; "
        "`accord_cta`, `contrat_passerelle`) or a prolongation's (`formation_en_cours`, "
        "`rqth`, `senior_50_ans_ou_plus`, `difficultes_particulieres`, "
        "`cdi_inclusion_57_ans_ou_plus`)"
    )
    start_date: Day
    end_date: Day
    training_end_date: Day | None = Field(
        None, description="A prolongation for a training under way: the day it ends"
    )


class AdjustmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: PassAdjustmentKind
    reason: PassAdjustmentReason
    start_date: Day
    end_date: Day
    training_end_date: Day | None


class RefusedAdjustmentRead(AdjustmentRead):
    """A request refused, kept with the rules it broke; it moved nothing."""

    refused_at: dt.datetime
    violations: list[RuleViolation]


class PassIaeRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "number": "999992412345",
                    "start_date": "2025-01-06",
                    "prescriber_orientation": False,
                    "end_date": "2027-02-05",
                    "adjustments": [
                        {
                            "id": "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
                            "kind": "suspension",
                            "reason": "arret_maladie",
                            "start_date": "2025-03-01",
                            "end_date": "2025-03-31",
                            "training_end_date": None,
                        }
                    ],
                    "refused": [],
                }
            ]
        },
    )

    number: str | None = Field(description="null once the salarié is pseudonymised")
    start_date: Day
    prescriber_orientation: bool
    end_date: Day = Field(description="start + 730 - 1 days, moved by the adjustments")
    adjustments: list[AdjustmentRead]
    refused: list[RefusedAdjustmentRead] = Field(
        description="The suspensions and prolongations asked for and refused, with why"
    )


class DiagnosticCriterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: EligibilityCriterion
    certified: bool = Field(
        False,
        description="Certified by a state source (CAF, France Travail, MDPH): `rsa`, `aah`, "
        "`parent_isole` and `rqth` only",
    )


def _one_each(criteria: list[DiagnosticCriterion]) -> list[DiagnosticCriterion]:
    named = [c.criterion for c in criteria]
    if len(named) != len(set(named)):
        raise ValueError("each criterion is listed once")
    for criterion in criteria:
        if criterion.certified and criterion.criterion not in CERTIFIABLE_CRITERIA:
            raise ValueError(f"{criterion.criterion.value} is not certified by a state source")
    return sorted(criteria, key=lambda c: c.criterion.value)


_DIAGNOSTIC_EXAMPLE: dict[str, Any] = {
    "made_on": "2025-01-02",
    "author": "prescripteur",
    "criteria": [{"criterion": "rsa", "certified": True}],
}


class DiagnosticCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_DIAGNOSTIC_EXAMPLE]})

    made_on: Day = Field(description="On or before today: a diagnostic is recorded once made")
    author: DiagnosticAuthor = Field(
        description="`prescripteur` (an authorised prescriber: valid 6 months) or `siae` "
        "(the structure itself: valid 92 days)"
    )
    criteria: Annotated[
        list[DiagnosticCriterion],
        Field(
            min_length=1,
            max_length=20,
            description="Each criterion once; `certified` only for those a state source "
            "certifies (`rsa`, `aah`, `parent_isole`, `rqth`)",
        ),
        AfterValidator(_one_each),
    ]


class DiagnosticRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _DIAGNOSTIC_EXAMPLE
                | {
                    "id": "3c2d1e0f-4b5a-4968-8776-5a4b3c2d1e0f",
                    "salarie_id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
                    "valid_until": "2025-07-01",
                    "created_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    salarie_id: uuid.UUID
    made_on: Day
    author: DiagnosticAuthor
    valid_until: Day = Field(description="The last day a hire may start on it")
    criteria: list[DiagnosticCriterion]
    created_at: dt.datetime
