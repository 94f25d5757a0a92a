import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from app.reference.decimals import DecimalText, Digits
from app.reference.enums import (
    CONTRACT_KINDS_BY_STRUCTURE,
    CRITERION_LEVEL,
    EXIT_CATEGORY_OF_MOTIF,
    ActivitySector,
    CompanyCategory,
    CompanySize,
    ContractKind,
    EligibilityCriterion,
    EligibilityLevel,
    ExitCategory,
    ExitMotif,
    Frein,
    StructureKind,
)

# ASCII digits only: \d would also match fullwidth, Arabic-Indic or Devanagari digits
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{2}$", examples=["53"])]
DepartementCode = Annotated[str, Field(pattern=r"^([0-9]{2}|2[AB]|97[0-9])$", examples=["29"])]
CommuneCode = Annotated[str, Field(pattern=r"^([0-9]{5}|2[AB][0-9]{3})$", examples=["29019"])]
MONTH_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"
MonthInPath = Annotated[
    str, Path(pattern=MONTH_PATTERN, description="YYYY-MM", examples=["2025-03"])
]

FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _within_supported_days(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a date from {FIRST_DAY} to {LAST_DAY}")
    return day


Day = Annotated[
    dt.date,
    AfterValidator(_within_supported_days),
    Field(description="A date from 1900-01-01 to 2199-12-31"),
]


def _within_supported_instants(instant: dt.datetime) -> dt.datetime:
    """Any offset is allowed, but the instant must fall in the supported days in UTC too
    (9999-12-31T23:59:59-14:00 is past what PostgreSQL or Python can hold)."""
    _within_supported_days(instant.date())
    if instant.tzinfo is not None:
        try:
            _within_supported_days(instant.astimezone(dt.UTC).date())
        except OverflowError:
            raise ValueError(f"an instant from {FIRST_DAY} to {LAST_DAY}") from None
    return instant


def _true_or_false(value: object) -> object:
    """In a query string, the documented spellings only: "yes" is not a boolean here."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError("true or false")
        return value == "true"
    return value


QueryFlag = Annotated[bool, BeforeValidator(_true_or_false), Field(description="true or false")]

Instant = Annotated[
    dt.datetime,
    AfterValidator(_within_supported_instants),
    Field(description="An ISO 8601 date and time from 1900-01-01 to 2199-12-31"),
]
SYNC_RULE = (
    "Records changed at or after this instant (ISO 8601); the list is ordered by "
    "(updated_at, id). To sync: page to the end, then ask again from the greatest "
    "updated_at you hold, less a minute (a change is stamped when its transaction starts, "
    "and may commit after a later one). A record changed during a sync comes again on a "
    "later page with its newer updated_at: keep the latest per id. Records that left "
    "your view since then come as tombstones in `deleted`, in the same order."
)
UpdatedSince = Annotated[Instant | None, Query(description=SYNC_RULE)]
Money = Annotated[Decimal, Digits(14, 2, example="23921.00", ge=0)]
PositiveMoney = Annotated[Decimal, Digits(14, 2, example="23921.00", gt=0)]


class RegionRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"code": "53", "name": "Bretagne", "overseas": False}]},
    )

    code: str
    name: str
    overseas: bool


class DepartementRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"code": "29", "name": "Finistère", "region_code": "53"}]},
    )

    code: str
    name: str
    region_code: str


class AideAuPosteRateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "ACI", "in_force_from": "2027-01-01", "amount_per_etp": "24500.00"}
            ]
        },
    )

    kind: StructureKind
    in_force_from: dt.date = Field(description="Must be in the future: rates in force never change")
    amount_per_etp: PositiveMoney


class AideAuPosteRateRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"kind": "ACI", "in_force_from": "2025-01-01", "amount_per_etp": "23921.00"}
            ]
        },
    )

    kind: StructureKind
    in_force_from: dt.date
    amount_per_etp: DecimalText = Field(description="Euros per ETP and year, mainland socle")


class ReferenceHoursRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"kind": "EITI", "in_force_from": "2023-01-01", "annual_hours": "1505.00"}]
        },
    )

    kind: StructureKind
    in_force_from: dt.date
    annual_hours: DecimalText


class ExitMotifRead(BaseModel):
    motif: ExitMotif
    category: ExitCategory


class CriterionRead(BaseModel):
    criterion: EligibilityCriterion
    level: EligibilityLevel


class ContractKindRead(BaseModel):
    kind: ContractKind
    structure_kinds: list[StructureKind]


class Enumerations(BaseModel):
    """Every value the API accepts in its enumerated fields."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "structure_kinds": ["EI", "ETTI", "AI", "ACI", "EITI"],
                    "company_sizes": ["TPE", "PME", "ETI", "GE"],
                    "company_categories": [
                        "entreprise",
                        "particulier",
                        "association",
                        "collectivite",
                    ],
                    "activity_sectors": ["espaces_verts", "recyclage_reemploi"],
                    "contract_kinds": [{"kind": "ctti", "structure_kinds": ["ETTI"]}],
                    "exit_categories": ["emploi_durable", "retrait"],
                    "exit_motifs": [{"motif": "cdi", "category": "emploi_durable"}],
                    "freins": ["mobilite", "logement"],
                    "eligibility_criteria": [{"criterion": "rsa", "level": "niveau_1"}],
                }
            ]
        }
    )

    structure_kinds: list[StructureKind]
    company_sizes: list[CompanySize]
    company_categories: list[CompanyCategory]
    activity_sectors: list[ActivitySector]
    contract_kinds: list[ContractKindRead]
    exit_categories: list[ExitCategory]
    exit_motifs: list[ExitMotifRead]
    freins: list[Frein]
    eligibility_criteria: list[CriterionRead]

    @classmethod
    def all(cls) -> "Enumerations":
        return cls(
            structure_kinds=list(StructureKind),
            company_sizes=list(CompanySize),
            company_categories=list(CompanyCategory),
            activity_sectors=list(ActivitySector),
            contract_kinds=[
                ContractKindRead(kind=kind, structure_kinds=sorted(kinds))
                for kind, kinds in CONTRACT_KINDS_BY_STRUCTURE.items()
            ],
            exit_categories=list(ExitCategory),
            exit_motifs=[
                ExitMotifRead(motif=motif, category=category)
                for motif, category in EXIT_CATEGORY_OF_MOTIF.items()
            ],
            freins=list(Frein),
            eligibility_criteria=[
                CriterionRead(criterion=criterion, level=level)
                for criterion, level in CRITERION_LEVEL.items()
            ],
        )
