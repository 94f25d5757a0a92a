import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, internal, text_enum
from app.months.rules import MonthState


class StructureMonth(Base):
    """A structure's month once it was first closed; a month with no row is open. Its
    contracts' hours change only while it is open (a trigger on monthly_hours)."""

    __tablename__ = "structure_months"
    __table_args__ = (
        CheckConstraint(
            "extract(day from month) = 1",
            name="first_day",
            info=internal("the month is written as its first day"),
        ),
    )

    structure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    state: Mapped[MonthState] = mapped_column(text_enum(MonthState, "month_state"))
    closed_at: Mapped[dt.datetime | None]
    corrections: Mapped[int] = mapped_column(server_default="0")
    # each reopening is a write of the audit log (who, when); no free text is kept here,
    # so that no personal data can land in it
    reopened_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
