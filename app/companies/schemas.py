import datetime as dt
import uuid
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.reference.enums import ActivitySector, CompanyCategory, CompanySize
from app.reference.identifiers import Siret
from app.reference.schemas import Kept, RegionCode

Name = Annotated[str, Field(min_length=1, max_length=200)]

_COMPANY_EXAMPLE: dict[str, Any] = {
    "siret": "35600000000048",
    "name": "La Poste, centre de tri de Rennes",
    "category": "entreprise",
    "size": "GE",
    "sector": "logistique_transport",
    "region_code": "53",
}


class CompanyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [_COMPANY_EXAMPLE],
            # the contract's own words for siret_unless_individual
            "if": {
                "properties": {"category": {"const": "particulier"}},
                "required": ["category"],
            },
            "else": {"required": ["siret"], "properties": {"siret": {"type": "string"}}},
        },
    )

    siret: Siret | None = Field(
        None, description="Required unless the client is a private individual"
    )
    name: Name
    category: CompanyCategory = CompanyCategory.entreprise
    size: CompanySize | None = None
    sector: ActivitySector | None = None
    region_code: RegionCode

    @model_validator(mode="after")
    def siret_unless_individual(self) -> Self:
        if self.siret is None and self.category is not CompanyCategory.particulier:
            raise ValueError("a SIRET is required unless the client is a private individual")
        return self


class CompanyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"size": "ETI"}]})

    name: Kept[Name] = None
    size: CompanySize | None = None
    sector: ActivitySector | None = None
    region_code: Kept[RegionCode] = None


class CompanyRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **_COMPANY_EXAMPLE,
                    "id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                    "siren": "356000000",
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    siret: str | None
    siren: str | None
    name: str
    category: CompanyCategory
    size: CompanySize | None
    sector: ActivitySector | None
    region_code: str
    created_at: dt.datetime
    updated_at: dt.datetime
