import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, guards, text_enum, uuid_pk


class ScopeKind(StrEnum):
    national = "national"
    region = "region"
    structure = "structure"
    company = "company"
    network = "network"


class IndicatorObjective(Base):
    """A target value for an indicator over a scope and a period (valeur cible)."""

    __tablename__ = "indicator_objectives"
    __table_args__ = (
        CheckConstraint(
            "period_start <= period_end",
            name="period_ordered",
            info=guards("period_end", "on or after period_start"),
        ),
        CheckConstraint(
            "(scope_kind = 'region') = (region_code IS NOT NULL)"
            " AND (scope_kind = 'structure') = (structure_id IS NOT NULL)"
            " AND (scope_kind = 'company') = (company_id IS NOT NULL)"
            " AND (scope_kind = 'network') = (network_id IS NOT NULL)",
            name="scope_matches_kind",
            info=guards("scope_kind", "the scope names exactly the record its kind asks for"),
        ),
    )

    id: Mapped[uuid_pk]
    indicator: Mapped[str] = mapped_column(String(60))
    scope_kind: Mapped[ScopeKind] = mapped_column(
        text_enum(ScopeKind, "objective_scope_kind", length=20)
    )
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    structure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("structures.id"), index=True)
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("companies.id"), index=True)
    network_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("networks.id"), index=True)
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    target_value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    created_at: Mapped[created_at]
