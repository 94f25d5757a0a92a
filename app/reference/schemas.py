import datetime as dt
from decimal import Decimal
from typing import Annotated, TypeVar

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    JsonValue,
    ValidationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

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


# the years the contract offers, as a pattern beside the date format, so that a
# generator knows the range (JSON Schema has no minimum for a date)
SUPPORTED_YEARS = r"^(19|20|21)[0-9]{2}-"

Day = Annotated[
    dt.date,
    AfterValidator(_within_supported_days),
    Field(
        description="A date from 1900-01-01 to 2199-12-31",
        json_schema_extra={"pattern": SUPPORTED_YEARS},
    ),
]


def _within_supported_instants(instant: dt.datetime) -> dt.datetime:
    """The date as written must be a supported day; any offset is allowed (in UTC the
    instant is then at most a day outside, which PostgreSQL and Python hold)."""
    _within_supported_days(instant.date())
    return instant


def _refuse_null(value: object, info: ValidationInfo) -> object:
    if value is None:
        raise ValueError(f"{info.field_name} cannot be null; leave it out to keep it")
    return value


class _NullNotOffered:
    """Takes null out of a nullable field's JSON Schema (validation is unchanged: an
    optional field, whose errors keep their plain pointer)."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        offered = [s for s in json_schema.pop("anyOf", []) if s.get("type") != "null"]
        if len(offered) == 1:
            json_schema.update(offered[0])
        elif offered:
            json_schema["anyOf"] = offered
        return json_schema


FieldT = TypeVar("FieldT")
# A PATCH field that may be left out (kept as it is) but not set to null: the contract
# does not offer null, and the server says so if it is sent anyway.
Kept = Annotated[FieldT | None, BeforeValidator(_refuse_null), _NullNotOffered()]


def bound_by(discriminator: str, bindings: dict[str, str | None]) -> list[JsonValue]:
    """JSON Schema for "the field this value of ``discriminator`` names is given, the
    others are not" (a key's role and its structure, company or network): one
    if/then per value, for the ``allOf`` of the model's schema."""
    fields = {field for field in bindings.values() if field is not None}
    return [
        {
            "if": {"properties": {discriminator: {"const": value}}, "required": [discriminator]},
            "then": {
                "required": [field] if field else [],
                "properties": {
                    other: {"type": "string"} if other == field else {"type": "null"}
                    for other in sorted(fields)
                },
            },
        }
        for value, field in bindings.items()
    ]


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
    Field(
        description="An ISO 8601 date and time from 1900-01-01 to 2199-12-31",
        json_schema_extra={"pattern": SUPPORTED_YEARS},
    ),
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
