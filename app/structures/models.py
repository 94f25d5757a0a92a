import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    false,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Versioned, created_at, guards, siren_of_siret, uuid_pk
from app.reference.enums import StructureKind
from app.reference.models import structure_kind


class Establishment:
    """Where an establishment is: address and INSEE codes. The (département,
    région) pair references the reference table, so PostgreSQL refuses a
    département paired with a région it is not in."""

    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    commune_code: Mapped[str] = mapped_column(String(5))
    departement_code: Mapped[str] = mapped_column(String(3))
    region_code: Mapped[str] = mapped_column(String(2))


def territory_reference() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["departement_code", "region_code"],
        ["departements.code", "departements.region_code"],
    )


class Structure(Versioned, Establishment, Base):
    """A structure d'insertion (SIAE), at its main establishment."""

    __tablename__ = "structures"
    __table_args__ = (
        territory_reference(),
        Index("ix_structures_sectors", "sectors", postgresql_using="gin"),
        Index("ix_structures_updated_at_id", "updated_at", "id"),
        Index("ix_structures_region_code", "region_code"),
        Index("ix_structures_departement_code", "departement_code"),
    )

    id: Mapped[uuid_pk]
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    siren: Mapped[str] = mapped_column(String(9), siren_of_siret(), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[StructureKind] = mapped_column(structure_kind)
    sectors: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(30))


class Antenne(Establishment, Base):
    """Another establishment of a structure, with its own SIRET."""

    __tablename__ = "antennes"
    __table_args__ = (territory_reference(),)

    id: Mapped[uuid_pk]
    structure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), index=True
    )
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[created_at]


class SiretRecord(Base):
    """Every SIRET a structure or its antennes ever had: a SIRET belongs to one
    establishment for good, and a lookup by an old SIRET still finds it."""

    __tablename__ = "sirets"

    siret: Mapped[str] = mapped_column(String(14), primary_key=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), index=True
    )
    antenne_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("antennes.id", ondelete="CASCADE")
    )
    retired_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]


class Annexe(Versioned, Base):
    """An annexe financière: the posts it funds and the modulation, for a period of a
    year; its ETP conventionnés are the posts times the months covered over 12."""

    __tablename__ = "annexes"
    __table_args__ = (
        CheckConstraint(
            "start_date <= end_date",
            name="dates_ordered",
            info=guards("end_date", "on or after start_date"),
        ),
        CheckConstraint(
            "extract(year from start_date) = year AND extract(year from end_date) = year",
            name="within_year",
            info=guards("start_date", "the start and end dates fall in the annexe's year"),
        ),
        CheckConstraint(
            "posts > 0",
            name="posts_positive",
            info=guards("posts", "more than 0"),
        ),
        CheckConstraint(
            "modulation_rate >= 0 AND modulation_rate <= 100",
            name="rate_percentage",
            info=guards("modulation_rate", "from 0 to 100"),
        ),
        CheckConstraint(
            "conseil_departemental_percent >= 0 AND conseil_departemental_percent <= 100",
            name="conseil_departemental_percentage",
            info=guards("conseil_departemental_percent", "from 0 to 100"),
        ),
        Index("ix_annexes_structure_id_start_date", "structure_id", "start_date"),
    )

    id: Mapped[uuid_pk]
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    year: Mapped[int]
    # the full-time posts funded (postes conventionnés) while the annexe runs
    posts: Mapped[Decimal] = mapped_column(Numeric(9, 2))
    modulation_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    # the préfet raised the CDI inclusion share of the year's ETP conventionnés
    prefet_cdi_inclusion_share: Mapped[bool] = mapped_column(server_default=false())
    # the conseil départemental's share of the aid (co-financed posts), the State the rest
    conseil_departemental_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), server_default="0"
    )


class CapDerogation(Base):
    """A préfet's decision lifting an AI's 480-hour cap on placements with one company,
    for at most 3 years, renewable (L5132-9)."""

    __tablename__ = "ai_cap_derogations"
    __table_args__ = (
        CheckConstraint(
            "start_date <= end_date",
            name="dates_ordered",
            info=guards("end_date", "on or after start_date"),
        ),
        Index("ix_ai_cap_derogations_structure_id_start_date", "structure_id", "start_date"),
    )

    id: Mapped[uuid_pk]
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    created_at: Mapped[created_at]


# The view of migration 0015: a company and a structure are partners while a mission
# links them. Its own MetaData keeps it out of the tables Alembic compares.
partnerships = Table(
    "partnerships",
    MetaData(),
    Column("company_id", Uuid, nullable=False),
    Column("structure_id", Uuid, nullable=False),
)


def partners_of_company(company_id: Any) -> Any:
    """The structures a company gave missions to (a subquery)."""
    return select(partnerships.c.structure_id).where(partnerships.c.company_id == company_id)


def partners_of_structure(structure_id: Any) -> Any:
    """The companies that gave missions to a structure (a subquery)."""
    return select(partnerships.c.company_id).where(partnerships.c.structure_id == structure_id)
