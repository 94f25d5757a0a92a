import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.keys.models import Role, Scope
from app.reference.schemas import bound_by

_KEY_EXAMPLE: JsonDict = {
    "id": "7d1f0b5e-3f3a-4c38-9d6e-2b1f4c8e9a10",
    "name": "SIRH Chantiers du Léon",
    "role": "structure",
    "scopes": ["read", "write"],
    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
    "company_id": None,
    "network_id": None,
    "prefix": "jalon_Qm9vZ3",
    "created_at": "2026-11-26T09:30:00Z",
    "revoked_at": None,
}


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "SIRH Chantiers du Léon",
                    "role": "structure",
                    "scopes": ["read", "write"],
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                },
                {"name": "Back-office", "role": "admin", "scopes": ["read", "write"]},
            ],
            "allOf": bound_by(
                "role",
                {
                    "admin": None,
                    "structure": "structure_id",
                    "company": "company_id",
                    "network": "network_id",
                },
            ),
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    scopes: Annotated[
        list[Scope],
        Field(min_length=1, max_length=2, description="read, write or both; read when absent"),
    ] = [Scope.read]
    structure_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    network_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def bound_to_what_the_role_needs(self) -> Self:
        bindings = {
            Role.structure: "structure_id",
            Role.company: "company_id",
            Role.network: "network_id",
        }
        for role, field in bindings.items():
            bound = getattr(self, field) is not None
            if role is self.role and not bound:
                raise ValueError(f"a {role.value} key needs {field}")
            if role is not self.role and bound:
                raise ValueError(f"{field} is only for a {role.value} key")
        self.scopes = sorted(set(self.scopes))
        return self


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: uuid.UUID
    name: str
    role: Role
    scopes: list[Scope]
    structure_id: uuid.UUID | None
    company_id: uuid.UUID | None
    network_id: uuid.UUID | None
    prefix: str = Field(description="First characters of the secret, to tell keys apart")
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyCreated(KeyRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_KEY_EXAMPLE, "secret": "jalon_Qm9vZ3N0cmFwIGtleSBmb3IgZG9jcyBvbmx5IDAwMDAwMDA"}
            ]
        }
    )

    secret: str = Field(
        description="The key itself: shown here once, never again. Send it as "
        "'Authorization: Bearer <secret>'."
    )
