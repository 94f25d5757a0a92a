import uuid

from sqlalchemy import BigInteger, Identity, Index, SmallInteger, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at


class AuditEntry(Base):
    """One write through the API: who, what, on which record, and the names of the
    fields sent, never their values. Append-only: a trigger refuses UPDATE, DELETE and
    TRUNCATE (migration 0010)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at", "id"),
        Index("ix_audit_log_key_id", "key_id", "at"),
        Index("ix_audit_log_resource", "resource", "resource_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[created_at]
    key_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(10))
    resource: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(SmallInteger)
    request_id: Mapped[str] = mapped_column(String(128))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(80)), server_default="{}")
