import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.reference.schemas import DepartementCode, Kept, RegionCode

_NETWORK_EXAMPLE: dict[str, Any] = {
    "name": "Fédération des entreprises d'insertion, Bretagne",
    "region_codes": ["53"],
    "departement_codes": [],
    "member_structure_ids": ["5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c"],
}


class NetworkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_NETWORK_EXAMPLE]})

    name: Annotated[str, Field(min_length=1, max_length=200)]
    region_codes: Annotated[list[RegionCode], Field(max_length=18)] = []
    departement_codes: Annotated[list[DepartementCode], Field(max_length=101)] = []
    member_structure_ids: Annotated[list[uuid.UUID], Field(max_length=10_000)] = []

    @field_validator("region_codes", "departement_codes", "member_structure_ids")
    @classmethod
    def distinct(cls, values: list[Any]) -> list[Any]:
        return sorted(set(values), key=str)


class NetworkUpdate(BaseModel):
    """The territorial scope is replaced as a whole; members change through
    /members."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"departement_codes": ["29", "35"]}]}
    )

    name: Kept[Annotated[str, Field(min_length=1, max_length=200)]] = None
    region_codes: Kept[Annotated[list[RegionCode], Field(max_length=18)]] = None
    departement_codes: Kept[Annotated[list[DepartementCode], Field(max_length=101)]] = None

    @field_validator("region_codes", "departement_codes")
    @classmethod
    def distinct(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else sorted(set(values))


class MemberAdd(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c"}]},
    )

    structure_id: uuid.UUID


class NetworkRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_NETWORK_EXAMPLE,
                    "id": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    region_codes: list[str]
    departement_codes: list[str]
    member_structure_ids: list[uuid.UUID]
    created_at: dt.datetime
    updated_at: dt.datetime
