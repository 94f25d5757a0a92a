import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    model_validator,
)

from app.indicators.catalogue import CATALOGUE, Dimension, ExitCounting, Family
from app.indicators.models import ScopeKind
from app.reference.decimals import DecimalText, Digits
from app.reference.enums import ActivitySector, StructureKind
from app.reference.schemas import MONTH_PATTERN, Day, RegionCode, bound_by

YearMonth = Annotated[str, Field(pattern=MONTH_PATTERN, examples=["2025-01"])]


# a code of the catalogue (GET /v1/indicators), declared as its enumeration
IndicatorCode = Annotated[str, Field(json_schema_extra={"enum": sorted(CATALOGUE)})]
MISSION_INDICATORS: list[JsonValue] = [
    code for code in sorted(CATALOGUE) if CATALOGUE[code].family is Family.mission
]


class IndicatorRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "taux_sorties_dynamiques",
                    "label_fr": "Taux de sorties dynamiques",
                    "label_en": "Dynamic exit rate",
                    "unit": "ratio",
                    "formula": "(emploi durable + emploi de transition + sortie positive) / "
                    "(exits - retraits)",
                    "family": "parcours",
                    "dimensions": ["month", "quarter", "year", "region", "departement"],
                    "is_rate": True,
                }
            ]
        },
    )

    code: str
    label_fr: str
    label_en: str
    unit: str
    formula: str
    family: Family = Field(description="parcours: computed on personal data, shown in aggregate")
    dimensions: list[Dimension]
    is_rate: bool = Field(description="A rate comes with its numerator and denominator")


def _absent(value: object) -> bool:
    return value is None


class Dimensions(BaseModel):
    """The group a row is about: one member per requested dimension, the others absent."""

    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(
        None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2025-03"], exclude_if=_absent
    )
    quarter: str | None = Field(
        None, pattern=r"^[0-9]{4}-Q[1-4]$", examples=["2025-Q1"], exclude_if=_absent
    )
    year: str | None = Field(None, pattern=r"^[0-9]{4}$", examples=["2025"], exclude_if=_absent)
    region: str | None = Field(None, description="Région code", examples=["53"], exclude_if=_absent)
    departement: str | None = Field(
        None, description="Département code", examples=["29"], exclude_if=_absent
    )
    structure_kind: StructureKind | None = Field(None, exclude_if=_absent)
    structure: uuid.UUID | None = Field(None, exclude_if=_absent)
    company: uuid.UUID | None = Field(None, exclude_if=_absent)
    sector: ActivitySector | None = Field(None, exclude_if=_absent)


class ValueRow(BaseModel):
    dimensions: Dimensions = Field(
        description="The group; periods are labelled as the queries spell them (2025-03, "
        "2025-Q1, 2025)"
    )
    value: DecimalText | None
    numerator: DecimalText | None = None
    denominator: DecimalText | None = None
    suppressed: bool = Field(
        False, description="Hidden: fewer salariés behind it than the small-cell threshold"
    )
    breakdown: dict[str, int] | None = Field(
        None, description="sorties, sorties_non_comptabilisees: exits by category"
    )


class IndicatorValues(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "indicator": "taux_sorties_dynamiques",
                    "unit": "ratio",
                    "period_start": "2025-01-01",
                    "period_end": "2025-12-31",
                    "group_by": ["region"],
                    "rows": [
                        {
                            "dimensions": {"region": "53"},
                            "value": "0.6250",
                            "numerator": "5",
                            "denominator": "8",
                            "suppressed": False,
                        }
                    ],
                    "suppressed_rows": 0,
                    "small_cell_threshold": 5,
                    "perturbation": 2,
                    "exit_counting": "etat",
                }
            ]
        }
    )

    indicator: IndicatorCode
    unit: str
    period_start: Day
    period_end: Day
    group_by: list[Dimension]
    rows: list[ValueRow]
    suppressed_rows: int = Field(description="Groups hidden by small-cell suppression")
    small_cell_threshold: int | None = Field(description="Applied to company and network keys")
    perturbation: int | None = Field(
        None,
        description="For company and network keys: each count (of salariés, exits, entries, "
        "freins; a rate's terms) is shown give or take at most this, the same people always "
        "giving the same figure (the cell-key method: see the README)",
    )
    exit_counting: ExitCounting | None = Field(
        None,
        description="For the exit indicators, which exits they count: `etat` (the state's "
        "rule, the default: in ACI, EI and EITI a parcours of 3 months or more, in AI and "
        "ETTI one of 150 hours worked or more; the others are `sorties_non_comptabilisees`) "
        "or `toutes`",
    )


class IndicatorObjectiveCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "indicator": "taux_sorties_dynamiques",
                    "scope_kind": "structure",
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "period_start": "2025-01",
                    "period_end": "2025-12",
                    "target_value": "0.60",
                }
            ],
            "allOf": [
                *bound_by(
                    "scope_kind",
                    {
                        "national": None,
                        "region": "region_code",
                        "structure": "structure_id",
                        "company": "company_id",
                        "network": "network_id",
                    },
                ),
                {  # a company objective is on an indicator computed on missions
                    "if": {
                        "properties": {"scope_kind": {"const": "company"}},
                        "required": ["scope_kind"],
                    },
                    "then": {"properties": {"indicator": {"enum": MISSION_INDICATORS}}},
                },
            ],
        },
    )

    indicator: IndicatorCode
    scope_kind: ScopeKind
    region_code: RegionCode | None = None
    structure_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    network_id: uuid.UUID | None = None
    period_start: YearMonth
    period_end: YearMonth
    target_value: Annotated[Decimal, Digits(18, 4, example="0.6000")]

    @model_validator(mode="after")
    def one_scope(self) -> Self:
        bound = {
            ScopeKind.region: self.region_code,
            ScopeKind.structure: self.structure_id,
            ScopeKind.company: self.company_id,
            ScopeKind.network: self.network_id,
        }
        for kind, value in bound.items():
            if (kind is self.scope_kind) != (value is not None):
                raise ValueError(
                    f"a {self.scope_kind.value} objective names its scope, and only it"
                )
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class IndicatorObjectiveRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2e1d0c-9b8a-4765-8432-10fedcba9876",
                    "indicator": "taux_sorties_dynamiques",
                    "scope_kind": "structure",
                    "region_code": None,
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "company_id": None,
                    "network_id": None,
                    "period_start": "2025-01-01",
                    "period_end": "2025-12-31",
                    "target_value": "0.6000",
                    "created_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    indicator: IndicatorCode
    scope_kind: ScopeKind
    region_code: str | None
    structure_id: uuid.UUID | None
    company_id: uuid.UUID | None
    network_id: uuid.UUID | None
    period_start: Day
    period_end: Day
    target_value: DecimalText
    created_at: dt.datetime


class DashboardLine(BaseModel):
    objective: IndicatorObjectiveRead
    label_fr: str
    unit: str
    target: DecimalText
    achieved: DecimalText | None = Field(
        description="Null when there is nothing to measure, or hidden"
    )
    gap: DecimalText | None = Field(description="achieved - target")
    suppressed: bool


class Dashboard(BaseModel):
    """The seed's tableau de suivi: valeur cible / valeur atteinte."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period_start": "2025-01-01",
                    "period_end": "2025-12-31",
                    "lines": [
                        {
                            "objective": IndicatorObjectiveRead.model_config["json_schema_extra"][
                                "examples"
                            ][0],  # type: ignore[index]
                            "label_fr": "Taux de sorties dynamiques",
                            "unit": "ratio",
                            "target": "0.6000",
                            "achieved": "0.6250",
                            "gap": "0.0250",
                            "suppressed": False,
                        }
                    ],
                }
            ]
        }
    )

    period_start: Day
    period_end: Day
    lines: list[DashboardLine]
