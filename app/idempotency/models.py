import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at


class IdempotencyRecord(Base):
    """A POST made with an Idempotency-Key by a live API key: claimed once the key is
    authenticated, authorised and within its rate limit, its response kept when it ends
    so that a retry by the same key gets the first answer.

    What is never kept: a response that showed a secret (only its status, so that a
    retry is told the secret was shown once), and the request itself (only a keyed
    fingerprint of it). A response about a salarié names them in ``salarie_id``, so that
    pseudonymisation forgets it with the rest of their identity.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        Index("ix_idempotency_records_created_at", "created_at"),
        Index("ix_idempotency_records_salarie_id", "salarie_id"),
    )

    key_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_shown: Mapped[bool] = mapped_column(Boolean, server_default=false())
    salarie_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("salaries.id", ondelete="CASCADE")
    )
    created_at: Mapped[created_at]
    completed_at: Mapped[dt.datetime | None]
