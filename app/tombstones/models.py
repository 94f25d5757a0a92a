"""Tombstones: what a synced list tells a connector of records gone from its view.

PostgreSQL writes them, by triggers (migration 0014), in the transaction that
deletes, pseudonymises or moves the record: every path that does so (the API, the
bulk upsert, the purge, a migration) leaves one, and none can be forgotten.
"""

import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, Identity, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, text_enum


class TombstoneKind(StrEnum):
    deleted = "deleted"  # the record is gone
    pseudonymised = "pseudonymised"  # the record stays, its personal data gone
    removed = "removed"  # the record left the view of the callers named


class SyncedResource(StrEnum):
    """The lists that carry tombstones (the value is the list's path under /v1)."""

    salaries = "salaries"
    structures = "structures"
    companies = "companies"
    missions = "missions"
    objectives = "objectives"


class Tombstone(Base):
    """One record gone from the view of the callers it names: a structure, company or
    network key by its id; admin keys for what is deleted or pseudonymised (they keep
    seeing a record that moved)."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resource: Mapped[SyncedResource] = mapped_column(text_enum(SyncedResource, "synced_resource"))
    record_id: Mapped[uuid.UUID]
    kind: Mapped[TombstoneKind] = mapped_column(text_enum(TombstoneKind, "tombstone_kind"))
    deleted_at: Mapped[created_at]
    # whose view it left (no foreign keys: a tombstone outlives what it names)
    structure_id: Mapped[uuid.UUID | None]
    company_id: Mapped[uuid.UUID | None]
    network_id: Mapped[uuid.UUID | None]

    __table_args__ = (
        Index("ix_tombstones_resource_deleted_at", "resource", "deleted_at", "record_id"),
    )
