"""Reference data: territories and the dated parameters that published texts set.

Amounts and hours are rows, never constants: an arrêté adds a row with its
in-force date.
"""

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, guards, text_enum
from app.reference.enums import StructureKind

structure_kind = text_enum(StructureKind, "structure_kind", length=8)


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    overseas: Mapped[bool]


class Departement(Base):
    __tablename__ = "departements"
    # lets establishments reference (département, région) as one pair, so that
    # PostgreSQL itself refuses a département paired with another région
    __table_args__ = (UniqueConstraint("code", "region_code"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)


class ByKindFromDate:
    """A parameter per structure kind, in force from its date until the next row's."""

    kind: Mapped[StructureKind] = mapped_column(structure_kind, primary_key=True)
    in_force_from: Mapped[dt.date] = mapped_column(primary_key=True)


class AideAuPosteRate(ByKindFromDate, Base):
    """Socle of the aide au poste per ETP and year."""

    __tablename__ = "aide_au_poste_rates"
    __table_args__ = (
        CheckConstraint(
            "amount_per_etp > 0",
            name="amount_positive",
            info=guards("amount_per_etp", "more than 0"),
        ),
    )

    amount_per_etp: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class ReferenceHours(ByKindFromDate, Base):
    """Annual hours of a full-time post, the divisor that turns hours into ETP."""

    __tablename__ = "reference_hours"
    __table_args__ = (
        CheckConstraint(
            "annual_hours > 0",
            name="annual_hours_positive",
            info=guards("annual_hours", "more than 0"),
        ),
    )

    annual_hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
