import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Versioned, created_at, uuid_pk


class Subscription(Versioned, Base):
    """Where a key wants its events sent. It receives only events about records the
    key may read. The secret signs each delivery (Standard Webhooks)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid_pk]
    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    description: Mapped[str | None] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), server_default="active")


class Event(Base):
    """The outbox: written in the transaction of the change it tells about, fanned out
    to the subscriptions by the dispatcher."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_pending", "id", postgresql_where=text("NOT fanned_out")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[created_at]
    structure_id: Mapped[uuid.UUID | None]
    company_id: Mapped[uuid.UUID | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # time-based events: what makes the same event the same, so that it is emitted once
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    fanned_out: Mapped[bool] = mapped_column(server_default="false")


class Delivery(Base):
    """One event for one subscription, until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index(
            "ix_webhook_deliveries_pending",
            "subscription_id",
            "event_id",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default="0")
    first_attempt_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime] = mapped_column(server_default=text("now()"))
    delivered_at: Mapped[dt.datetime | None]
    last_status: Mapped[int | None]


class Attempt(Base):
    """The delivery log: each try, its answer, and when the next one is due."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    attempted_at: Mapped[created_at]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]
    next_attempt_at: Mapped[dt.datetime | None]
