import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Versioned, created_at, guards, internal, text_enum, uuid_pk
from app.reference.enums import (
    DiagnosticAuthor,
    Gender,
    PassAdjustmentKind,
    PassAdjustmentReason,
)


class Salarie(Versioned, Base):
    """A person hired by a structure. Personal data: only the structure and admin read
    it. The NIR is kept as a keyed hash, for duplicate detection only."""

    __tablename__ = "salaries"
    __table_args__ = (
        Index(
            "uq_salaries__structure_id_nir_hash",
            "structure_id",
            "nir_hash",
            unique=True,
            postgresql_where=text("nir_hash IS NOT NULL"),
        ),
        Index("ix_salaries_structure_id_identity", "structure_id", "birth_date", "last_name"),
        Index("ix_salaries_updated_at_id", "updated_at", "id"),
        CheckConstraint(
            "pseudonymised_at IS NOT NULL"
            " OR (first_name IS NOT NULL AND last_name IS NOT NULL AND birth_date IS NOT NULL)",
            name="identity_kept_until_pseudonymised",
            info=internal("names and birth date are required on every write"),
        ),
    )

    id: Mapped[uuid_pk]
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"))
    # None once pseudonymised (see app.salaries.privacy), with the other identifiers
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[dt.date | None]
    gender: Mapped[Gender] = mapped_column(text_enum(Gender, "gender"))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    residence_qpv: Mapped[bool] = mapped_column(server_default="false")
    residence_zrr: Mapped[bool] = mapped_column(server_default="false")
    criteria: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    nir_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    france_travail_id: Mapped[str | None] = mapped_column(String(20))
    pseudonymised_at: Mapped[dt.datetime | None]


class PassIae(Versioned, Base):
    """A salarié's PASS IAE: its end is computed from the start and the adjustments.

    A PASS IAE follows the person from one SIAE to the next, each recording it on its own
    salarié record: its number is unique within a structure only (``structure_id`` is
    the salarié's, kept here for that constraint)."""

    __tablename__ = "pass_iae"
    __table_args__ = (UniqueConstraint("structure_id", "number"),)

    id: Mapped[uuid_pk]
    salarie_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("salaries.id", ondelete="CASCADE"), unique=True
    )
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"))
    number: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    # an authorised prescriber oriented the person: no 2-year wait after an earlier PASS
    prescriber_orientation: Mapped[bool] = mapped_column(server_default=false())


class PassAdjustment(Base):
    __tablename__ = "pass_iae_adjustments"
    __table_args__ = (
        CheckConstraint(
            "start_date <= end_date",
            name="dates_ordered",
            info=guards("end_date", "on or after start_date"),
        ),
        CheckConstraint(
            "(refused_at IS NULL) = (violations IS NULL)",
            name="refusal_with_its_reasons",
            info=internal("a refused request is written with the violations found"),
        ),
    )

    id: Mapped[uuid_pk]
    pass_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pass_iae.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PassAdjustmentKind] = mapped_column(
        text_enum(PassAdjustmentKind, "pass_adjustment_kind")
    )
    reason: Mapped[PassAdjustmentReason] = mapped_column(
        text_enum(PassAdjustmentReason, "pass_adjustment_reason")
    )
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    # a prolongation for a training under way: the day the training ends
    training_end_date: Mapped[dt.date | None]
    # a refused request is kept with the rules it broke (R5132-1-8: a refusal is
    # motivated); it moves nothing
    refused_at: Mapped[dt.datetime | None]
    violations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    created_at: Mapped[created_at]


class EligibilityDiagnostic(Base):
    """A salarié's eligibility diagnostic: who made it, when, and the criteria found,
    each certified or not by a state source. Personal data, as the salarié's."""

    __tablename__ = "eligibility_diagnostics"
    __table_args__ = (
        Index("ix_eligibility_diagnostics_salarie_id_made_on", "salarie_id", "made_on"),
        CheckConstraint(
            "certified <@ criteria",
            name="certified_among_criteria",
            info=internal("the API writes the certified flags from the criteria"),
        ),
    )

    id: Mapped[uuid_pk]
    salarie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salaries.id", ondelete="CASCADE"))
    made_on: Mapped[dt.date]
    author: Mapped[DiagnosticAuthor] = mapped_column(
        text_enum(DiagnosticAuthor, "diagnostic_author")
    )
    criteria: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    certified: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    created_at: Mapped[created_at]
