import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, guards, internal, text_enum, uuid_pk


class Role(StrEnum):
    admin = "admin"
    structure = "structure"  # an SIAE and its HRIS, bound to one structure
    company = "company"  # a client company's ERP, bound to one company
    network = "network"  # a fédération or territorial body, bound to a network's scope


class Scope(StrEnum):
    read = "read"
    write = "write"


class ApiKey(Base):
    """An API key. Only the SHA-256 digest of the secret is kept: a secret of 256
    random bits needs no slow hash, and a lookup by digest is one index probe."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "(role = 'structure') = (structure_id IS NOT NULL)"
            " AND (role = 'company') = (company_id IS NOT NULL)"
            " AND (role = 'network') = (network_id IS NOT NULL)",
            name="binding_matches_role",
            info=guards("role", "a structure, company or network key names its own, and no other"),
        ),
        CheckConstraint(
            "cardinality(scopes) >= 1 AND scopes <@ ARRAY['read', 'write']::varchar[]",
            name="known_scopes",
            info=guards("scopes", "read, write or both"),
        ),
        CheckConstraint(
            "octet_length(digest) = 32",
            name="digest_is_sha256",
            info=internal("the digest is computed by jalon"),
        ),
    )

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, "api_key_role", length=16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    structure_id: Mapped[uuid.UUID | None]
    company_id: Mapped[uuid.UUID | None]
    network_id: Mapped[uuid.UUID | None]
    digest: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[created_at]
    created_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[dt.datetime | None]
