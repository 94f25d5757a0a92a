import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import (
    Base,
    Versioned,
    created_at,
    guards,
    hours_of_a_month,
    internal,
    text_enum,
    uuid_pk,
)
from app.reference.enums import (
    ActionKind,
    ContractKind,
    DerogationKind,
    ExitCategory,
    ExitMotif,
    Frein,
    ParcoursStatus,
)


class Parcours(Versioned, Base):
    """A salarié's path in a structure, from entry to exit (recorded once)."""

    __tablename__ = "parcours"
    __table_args__ = (
        CheckConstraint(
            "(status = 'sorti') = (exit_date IS NOT NULL)"
            " AND (exit_date IS NULL) = (exit_motif IS NULL)"
            " AND (exit_date IS NULL) = (exit_category IS NULL)",
            name="exit_recorded_whole",
            info=internal("an exit is recorded whole by one route"),
        ),
        CheckConstraint(
            "exit_date IS NULL OR exit_date >= entry_date",
            name="exit_after_entry",
            info=guards("exit_date", "on or after the entry date"),
        ),
        Index("ix_parcours_structure_id_updated_at", "structure_id", "updated_at", "id"),
        Index("ix_parcours_entry_date", "entry_date"),
        Index("ix_parcours_exit_date", "exit_date"),
    )

    id: Mapped[uuid_pk]
    salarie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salaries.id"), index=True)
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"))
    entry_date: Mapped[dt.date]
    status: Mapped[ParcoursStatus] = mapped_column(
        text_enum(ParcoursStatus, "parcours_status"), default=ParcoursStatus.en_cours
    )
    exit_date: Mapped[dt.date | None]
    exit_motif: Mapped[ExitMotif | None] = mapped_column(text_enum(ExitMotif, "exit_motif"))
    exit_category: Mapped[ExitCategory | None] = mapped_column(
        text_enum(ExitCategory, "exit_category")
    )


class Contract(Versioned, Base):
    """A contract of a parcours; its current terms, amended by avenants kept below."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR start_date <= end_date",
            name="dates_ordered",
            info=guards("end_date", "on or after start_date"),
        ),
        CheckConstraint(
            "weekly_hours > 0 AND weekly_hours <= 48",
            name="weekly_hours_range",
            info=guards("weekly_hours", "more than 0 and at most 48"),
        ),
        Index("ix_contracts_salarie_id_structure_id", "salarie_id", "structure_id"),
        Index("ix_contracts_end_date", "end_date"),
    )

    id: Mapped[uuid_pk]
    parcours_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parcours.id"), index=True)
    salarie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salaries.id"))
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"))
    kind: Mapped[ContractKind] = mapped_column(text_enum(ContractKind, "contract_kind"))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    weekly_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")


class ContractAmendment(Base):
    """An avenant: what changed and from when; the contract holds the result."""

    __tablename__ = "contract_amendments"

    id: Mapped[uuid_pk]
    contract_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    signed_on: Mapped[dt.date]
    previous_end_date: Mapped[dt.date | None]
    new_end_date: Mapped[dt.date | None]
    previous_weekly_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    new_weekly_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    created_at: Mapped[created_at]


class Derogation(Base):
    """A recorded exception to the CDDI limits, for a period of the parcours."""

    __tablename__ = "derogations"
    __table_args__ = (
        CheckConstraint(
            "start_date <= end_date",
            name="dates_ordered",
            info=guards("end_date", "on or after start_date"),
        ),
        Index("ix_derogations_end_date", "end_date"),
    )

    id: Mapped[uuid_pk]
    parcours_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parcours.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DerogationKind] = mapped_column(text_enum(DerogationKind, "derogation_kind"))
    reason: Mapped[str | None] = mapped_column(String(500))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    created_at: Mapped[created_at]


class MonthlyHours(Base):
    __tablename__ = "monthly_hours"
    __table_args__ = (*hours_of_a_month(),)

    contract_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    recorded_at: Mapped[created_at]


class Action(Base):
    """An accompaniment action: interview, training, job-search step..."""

    __tablename__ = "accompaniment_actions"
    __table_args__ = (
        CheckConstraint(
            "duration_minutes > 0",
            name="duration_positive",
            info=guards("duration_minutes", "more than 0"),
        ),
    )

    id: Mapped[uuid_pk]
    parcours_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parcours.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActionKind] = mapped_column(text_enum(ActionKind, "action_kind"))
    done_on: Mapped[dt.date]
    duration_minutes: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]


class FreinRecord(Base):
    """A barrier identified during the parcours, and when it was lifted."""

    __tablename__ = "freins"
    __table_args__ = (
        CheckConstraint(
            "lifted_on IS NULL OR lifted_on >= identified_on",
            name="lifted_after",
            info=guards("lifted_on", "on or after identified_on"),
        ),
    )

    id: Mapped[uuid_pk]
    parcours_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parcours.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[Frein] = mapped_column(text_enum(Frein, "frein"))
    identified_on: Mapped[dt.date]
    lifted_on: Mapped[dt.date | None]
    created_at: Mapped[created_at]


class Objective(Base):
    """An objective or étape of the parcours, with its target date."""

    __tablename__ = "objectives"

    id: Mapped[uuid_pk]
    parcours_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parcours.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(300))
    target_date: Mapped[dt.date]
    reached_on: Mapped[dt.date | None]
    created_at: Mapped[created_at]


class StructureMonthHours(Base):
    """Hours worked per structure and month, kept by a trigger on monthly_hours in the
    same transaction as each write: the indicators read 4 000 x 12 rows a year here
    instead of millions of hour records. ``records`` counts the hour records behind it
    (one per salarié under contract that month)."""

    __tablename__ = "structure_month_hours"
    __table_args__ = (Index("ix_structure_month_hours_month", "month"),)

    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    records: Mapped[int]


class StructureMonthExits(Base):
    """Exits per structure, month and category, with the days of the parcours that
    ended, kept by a trigger on parcours in the same transaction as each write."""

    __tablename__ = "structure_month_exits"
    __table_args__ = (Index("ix_structure_month_exits_month", "month"),)

    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    exits: Mapped[int]
    days: Mapped[int]


class StructureMonthContractEnds(Base):
    """Contracts ending per structure and month, with their days, kept by a trigger on
    contracts in the same transaction as each write."""

    __tablename__ = "structure_month_contract_ends"
    __table_args__ = (Index("ix_structure_month_contract_ends_month", "month"),)

    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    contracts: Mapped[int]
    days: Mapped[int]
