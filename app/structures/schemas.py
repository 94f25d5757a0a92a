import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.reference.decimals import DecimalText, Digits
from app.reference.enums import ActivitySector, StructureKind
from app.reference.identifiers import Siret
from app.reference.schemas import CommuneCode, Day, DepartementCode, Kept, RegionCode

Name = Annotated[str, Field(min_length=1, max_length=200)]
PostalCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", examples=["29000"])]
Sectors = Annotated[list[ActivitySector], Field(max_length=len(ActivitySector))]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(max_length=200)] = None
    email: Annotated[str | None, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = (
        None
    )
    phone: Annotated[str | None, Field(max_length=30, pattern=r"^[0-9+ .()-]{6,30}$")] = None


class Location(BaseModel):
    """Where an establishment is; the three INSEE codes must nest in each other."""

    address: Annotated[str | None, Field(max_length=300)] = None
    postal_code: PostalCode | None = None
    commune_code: CommuneCode
    departement_code: DepartementCode
    region_code: RegionCode


_STRUCTURE_EXAMPLE: dict[str, Any] = {
    "siret": "73282932000074",
    "name": "Chantiers du Léon",
    "kind": "ACI",
    "address": "12 rue de Brest",
    "postal_code": "29200",
    "commune_code": "29019",
    "departement_code": "29",
    "region_code": "53",
    "sectors": ["espaces_verts", "batiment_travaux_publics"],
    "contact": {
        "name": "Accueil",
        "email": "contact@chantiers-leon.example",
        "phone": "02 98 00 00 00",
    },
}


class StructureCreate(Location):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_STRUCTURE_EXAMPLE]})

    siret: Siret
    name: Name
    kind: StructureKind
    sectors: Sectors = []
    contact: Contact | None = None

    @field_validator("sectors")
    @classmethod
    def distinct(cls, sectors: list[ActivitySector]) -> list[ActivitySector]:
        return sorted(set(sectors))


TERRITORY = frozenset({"commune_code", "departement_code", "region_code"})


class StructureUpdate(BaseModel):
    """Only the fields sent change; ``kind`` is for admin keys only."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # territory_moves_together, in the contract's words
            "dependentRequired": {
                field: list[JsonValue](sorted(TERRITORY - {field})) for field in sorted(TERRITORY)
            },
            "examples": [{"name": "Chantiers du Léon et de l'Aber", "sectors": ["espaces_verts"]}],
        },
    )

    siret: Kept[Siret] = Field(
        None, description="A new SIRET (the structure moved); the old one stays findable"
    )
    name: Kept[Name] = None
    kind: Kept[StructureKind] = None
    address: Annotated[str | None, Field(max_length=300)] = None
    postal_code: PostalCode | None = None
    commune_code: Kept[CommuneCode] = None
    departement_code: Kept[DepartementCode] = None
    region_code: Kept[RegionCode] = None
    sectors: Kept[Sectors] = None
    contact: Contact | None = None

    @field_validator("sectors")
    @classmethod
    def distinct(cls, sectors: list[ActivitySector]) -> list[ActivitySector]:
        return sorted(set(sectors))

    @model_validator(mode="after")
    def territory_moves_together(self) -> Self:
        sent = TERRITORY & self.model_fields_set
        if sent and sent != TERRITORY:
            raise ValueError("send commune_code, departement_code and region_code together")
        return self


class StructureRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_STRUCTURE_EXAMPLE,
                    "id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "siren": "732829320",
                    "previous_sirets": [],
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    siret: str
    siren: str
    previous_sirets: list[str] = Field(
        description="SIRETs it had before; a lookup by them finds it"
    )
    name: str
    kind: StructureKind
    address: str | None
    postal_code: str | None
    commune_code: str
    departement_code: str
    region_code: str
    sectors: list[ActivitySector]
    contact: Contact | None = Field(
        description="Admin and the structure's own keys only; null for other callers"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class AntenneCreate(Location):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "siret": "73282932000082",
                    "name": "Chantiers du Léon, antenne de Morlaix",
                    "commune_code": "29151",
                    "departement_code": "29",
                    "region_code": "53",
                }
            ]
        },
    )

    siret: Siret
    name: Name


class AntenneRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b",
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "siret": "73282932000082",
                    "name": "Chantiers du Léon, antenne de Morlaix",
                    "address": None,
                    "postal_code": None,
                    "commune_code": "29151",
                    "departement_code": "29",
                    "region_code": "53",
                    "created_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    structure_id: uuid.UUID
    siret: str
    name: str
    address: str | None
    postal_code: str | None
    commune_code: str
    departement_code: str
    region_code: str
    created_at: dt.datetime


Etp = Annotated[Decimal, Digits(9, 2, example="10.00", gt=0)]
POSTS = "The full-time posts the annexe funds (postes conventionnés) while it runs"
CONSEIL_DEPARTEMENTAL_SHARE = (
    "Percent of the aid the conseil départemental co-finances (0 to 100); the State pays the rest"
)
PREFET_SHARE = (
    "The préfet decided that the structure's CDI inclusion posts may reach 30 % of the "
    "year's ETP conventionnés (20 % otherwise; settings)"
)
Percent = Annotated[Decimal, Digits(5, 2, example="5.00", ge=0)]
Share = Annotated[Decimal, Digits(5, 2, example="25.00", ge=0, le=100)]


class AnnexeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2024,
                    "posts": "10.00",
                    "modulation_rate": "5.00",
                    "start_date": "2024-01-01",
                    "end_date": "2024-12-31",
                }
            ]
        },
    )

    year: Annotated[int, Field(ge=2000, le=2100)]
    posts: Etp = Field(description=POSTS)
    modulation_rate: Percent = Field(description="Percent of the socle, 0 to 10 by default")
    start_date: Day
    end_date: Day
    prefet_cdi_inclusion_share: bool = Field(False, description=PREFET_SHARE)
    conseil_departemental_percent: Share = Field(
        Decimal(0), description=CONSEIL_DEPARTEMENTAL_SHARE
    )

    @field_validator("start_date")
    @classmethod
    def in_year(cls, start: Day, info: ValidationInfo) -> dt.date:
        year = info.data.get("year")
        if year is not None and start.year != year:
            raise ValueError(f"an annexe of {year} starts in {year}")
        return start

    @field_validator("end_date")
    @classmethod
    def after_start_in_year(cls, end: Day, info: ValidationInfo) -> dt.date:
        start, year = info.data.get("start_date"), info.data.get("year")
        if start is not None and end < start:
            raise ValueError("end_date is before start_date")
        if year is not None and end.year != year:
            raise ValueError(f"an annexe of {year} ends in {year}")
        return end


class AnnexeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"posts": "12.50"}]})

    posts: Kept[Etp] = Field(None, description=POSTS)
    modulation_rate: Kept[Percent] = None
    start_date: Kept[Day] = None
    end_date: Kept[Day] = None
    prefet_cdi_inclusion_share: Kept[bool] = None
    conseil_departemental_percent: Kept[Share] = None


class AidSegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    start: Day
    end: Day
    amount_per_etp: DecimalText
    socle: DecimalText


class AidRead(BaseModel):
    """The aid the annexe implies; amounts are exact decimals, as strings."""

    model_config = ConfigDict(from_attributes=True)

    segments: list[AidSegmentRead] = Field(description="One per socle in force during the period")
    days_without_rate: int = Field(description="Days with no socle published for the kind")
    socle: DecimalText
    modulation: DecimalText
    total: DecimalText
    etat: DecimalText = Field(description="The State's part of the total")
    conseil_departemental: DecimalText = Field(
        description="The conseil départemental's part of the total"
    )


class AnnexeRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "1d4c7b2a-0e9f-4a3b-8c5d-6e7f8a9b0c1d",
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "year": 2024,
                    "posts": "10.00",
                    "etp_conventionnes": "10.00",
                    "modulation_rate": "0.00",
                    "start_date": "2024-01-01",
                    "end_date": "2024-12-31",
                    "prefet_cdi_inclusion_share": False,
                    "conseil_departemental_percent": "0.00",
                    "aid": {
                        "segments": [
                            {
                                "start": "2024-01-01",
                                "end": "2024-10-31",
                                "amount_per_etp": "23458.00",
                                "socle": "195483.33",
                            },
                            {
                                "start": "2024-11-01",
                                "end": "2024-12-31",
                                "amount_per_etp": "23921.00",
                                "socle": "39868.33",
                            },
                        ],
                        "days_without_rate": 0,
                        "socle": "235351.67",
                        "modulation": "0.00",
                        "total": "235351.67",
                        "etat": "235351.67",
                        "conseil_departemental": "0.00",
                    },
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    structure_id: uuid.UUID
    year: int
    posts: DecimalText = Field(description=POSTS)
    etp_conventionnes: DecimalText = Field(
        description="The posts times the months the annexe covers, over 12 (a partly "
        "covered month counts its share of days), to the cent"
    )
    modulation_rate: DecimalText
    start_date: Day
    end_date: Day
    prefet_cdi_inclusion_share: bool = Field(description=PREFET_SHARE)
    conseil_departemental_percent: DecimalText = Field(description=CONSEIL_DEPARTEMENTAL_SHARE)
    aid: AidRead
    created_at: dt.datetime
    updated_at: dt.datetime


class CapDerogationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"start_date": "2025-01-01", "end_date": "2027-12-31"}]},
    )

    start_date: Day
    end_date: Day = Field(description="At most 3 years after the start (a setting)")


class CapDerogationRead(CapDerogationCreate):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "start_date": "2025-01-01",
                    "end_date": "2027-12-31",
                    "created_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    structure_id: uuid.UUID
    created_at: dt.datetime
