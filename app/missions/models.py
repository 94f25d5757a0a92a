import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import (
    Base,
    Versioned,
    created_at,
    guards,
    hours_of_a_month,
    text_enum,
    uuid_pk,
)
from app.reference.enums import ActivitySector, MissionKind, MissionStatus


class Mission(Versioned, Base):
    """Work a client company gives to a structure, under the company's own reference.

    ``content_hash`` digests the fields the company sends, so that replaying a feed
    tells unchanged missions from updated ones in one comparison."""

    __tablename__ = "missions"
    __table_args__ = (
        UniqueConstraint("company_id", "external_ref"),
        CheckConstraint(
            "start_date <= end_date",
            name="dates_ordered",
            info=guards("end_date", "on or after start_date"),
        ),
        CheckConstraint(
            "amount_ht >= 0 AND planned_hours >= 0",
            name="not_negative",
            info=guards("amount_ht", "amount_ht and planned_hours are 0 or more"),
        ),
        CheckConstraint(
            "social_clause = (insertion_hours_target IS NOT NULL)",
            name="clause_has_target",
            info=guards(
                "insertion_hours_target", "given when, and only when, social_clause is true"
            ),
        ),
        Index("ix_missions_updated_at_id", "updated_at", "id"),
        Index("ix_missions_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_missions_structure_id_updated_at", "structure_id", "updated_at", "id"),
    )

    id: Mapped[uuid_pk]
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"))
    external_ref: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[MissionKind] = mapped_column(text_enum(MissionKind, "mission_kind"))
    sector: Mapped[ActivitySector] = mapped_column(text_enum(ActivitySector, "activity_sector"))
    commune_code: Mapped[str] = mapped_column(String(5))
    # derived from the commune against the reference map when written; not foreign keys:
    # their checks cost a quarter of a 10 000-mission bulk write (bench.bulk)
    departement_code: Mapped[str] = mapped_column(String(3))
    region_code: Mapped[str] = mapped_column(String(2), index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    planned_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    amount_ht: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    social_clause: Mapped[bool]
    insertion_hours_target: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    status: Mapped[MissionStatus] = mapped_column(
        text_enum(MissionStatus, "mission_status"), default=MissionStatus.proposee
    )
    content_hash: Mapped[bytes] = mapped_column(LargeBinary)


class MissionAssignment(Base):
    __tablename__ = "mission_assignments"

    mission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True
    )
    salarie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salaries.id"), primary_key=True)
    assigned_at: Mapped[created_at]


class MissionHours(Base):
    """Hours a salarié worked on a mission in a month."""

    __tablename__ = "mission_hours"
    __table_args__ = (
        *hours_of_a_month(),
        Index("ix_mission_hours_salarie_id", "salarie_id"),
    )

    mission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True
    )
    salarie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salaries.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    recorded_at: Mapped[created_at]
