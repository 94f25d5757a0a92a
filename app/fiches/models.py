import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Versioned, created_at, text_enum, uuid_pk
from app.fiches.schemas import FicheStatus, Movement, NotificationStatus


class AspProfileRecord(Base):
    """A salarié's ASP profile (app.fiches.schemas.AspProfile): personal data, as the
    salarié's record, deleted by pseudonymisation. The NIR is sealed (AES-GCM)."""

    __tablename__ = "salarie_asp_profiles"

    salarie_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("salaries.id", ondelete="CASCADE"), primary_key=True
    )
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    nir_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))


class FicheSalarie(Versioned, Base):
    """A fiche salarié: one per (mother SIRET, PASS IAE), with its state at the ASP."""

    __tablename__ = "fiches_salarie"
    __table_args__ = (
        UniqueConstraint("siret", "pass_iae_id"),
        Index("ix_fiches_salarie_structure_id_status", "structure_id", "status", "updated_at"),
    )

    id: Mapped[uuid_pk]
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    salarie_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("salaries.id", ondelete="CASCADE"), index=True
    )
    pass_iae_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pass_iae.id", ondelete="CASCADE"))
    siret: Mapped[str] = mapped_column(String(14))
    # the person's id at the ASP (idItou): 30 lowercase hexadecimal characters, stable
    asp_uid: Mapped[str] = mapped_column(String(30))
    status: Mapped[FicheStatus] = mapped_column(text_enum(FicheStatus, "fiche_status"))
    asp_code: Mapped[str | None] = mapped_column(String(20))
    asp_label: Mapped[str | None] = mapped_column(String(200))
    processed_as_duplicate: Mapped[bool] = mapped_column(server_default=false())
    processed_at: Mapped[dt.datetime | None]


class PassNotification(Base):
    """An `M` movement: the ASP hears of a change of an integrated fiche's PASS IAE
    dates. Queued by a trigger on pass_iae; at most one waiting per fiche."""

    __tablename__ = "pass_iae_notifications"
    __table_args__ = (
        Index(
            "uq_pass_iae_notifications_waiting",
            "fiche_id",
            unique=True,
            postgresql_where=text("status = 'new'"),
        ),
    )

    id: Mapped[uuid_pk]
    fiche_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fiches_salarie.id", ondelete="CASCADE"))
    status: Mapped[NotificationStatus] = mapped_column(
        text_enum(NotificationStatus, "notification_status")
    )
    asp_code: Mapped[str | None] = mapped_column(String(20))
    asp_label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))


class AspBatch(Base):
    """A batch file built for the ASP: its name, its movement, and when its return was
    applied. Its bytes are its lines' (AspBatchLine), joined in the envelope."""

    __tablename__ = "asp_batches"
    __table_args__ = (
        UniqueConstraint("structure_id", "file_name"),
        Index("ix_asp_batches_structure_id_created_at", "structure_id", "created_at", "id"),
    )

    id: Mapped[uuid_pk]
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    movement: Mapped[Movement] = mapped_column(text_enum(Movement, "movement", length=1))
    file_name: Mapped[str] = mapped_column(String(60))
    line_count: Mapped[int]
    size_bytes: Mapped[int]
    created_at: Mapped[created_at]
    returned_at: Mapped[dt.datetime | None]


class AspBatchLine(Base):
    """One line of a batch, as sent (personal data: erased by pseudonymisation), and
    what the ASP answered of it."""

    __tablename__ = "asp_batch_lines"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("asp_batches.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("fiches_salarie.id", ondelete="CASCADE"), index=True
    )
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pass_iae_notifications.id", ondelete="CASCADE")
    )
    salarie_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("salaries.id", ondelete="CASCADE"), index=True
    )
    pass_number: Mapped[str | None] = mapped_column(String(20))
    siret: Mapped[str] = mapped_column(String(14))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    asp_code: Mapped[str | None] = mapped_column(String(20))
    asp_label: Mapped[str | None] = mapped_column(String(200))


class AspCommune(Base):
    """The ASP's commune table (app/fiches/data): a code's names over time."""

    __tablename__ = "asp_communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(primary_key=True)
    end_date: Mapped[dt.date | None]
    name: Mapped[str] = mapped_column(String(100))
    as_country: Mapped[str | None] = mapped_column(String(3))


class AspCountry(Base):
    """The ASP's country table: a code may be a foreign country's and, ``overseas``, a
    French territory's the ASP files as a country."""

    __tablename__ = "asp_countries"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    overseas: Mapped[bool] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(1))
