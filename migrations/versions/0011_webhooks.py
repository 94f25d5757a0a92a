"""webhooks: subscriptions, the event outbox, deliveries and their log

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 21:43:03.598793

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Every change that has an event writes it in its own transaction, whichever path made
# it (one mission, an upsert, a bulk import, an ORM write): the outbox is filled by
# PostgreSQL itself. The payloads are those of app/webhooks/events.py.
ROW = "FOR EACH ROW"
TRIGGERS = {
    # statement-level, from the transition table: a bulk import of 10 000 missions is
    # one INSERT ... SELECT here, and nothing at all when nobody subscribes
    "missions_created": (
        "missions",
        "AFTER INSERT",
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT",
        """
    IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE 'mission.created' = ANY(event_types))
    THEN
        INSERT INTO webhook_events (type, structure_id, company_id, data)
        SELECT 'mission.created', i.structure_id, i.company_id, jsonb_build_object(
            'mission_id', i.id, 'company_id', i.company_id,
            'structure_id', i.structure_id, 'external_ref', i.external_ref,
            'status', i.status, 'start_date', i.start_date, 'end_date', i.end_date)
        FROM inserted i;
    END IF;""",
    ),
    "missions_status": (
        "missions",
        "AFTER UPDATE",
        "REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT",
        """
    IF EXISTS (SELECT 1 FROM webhook_subscriptions
               WHERE 'mission.status_changed' = ANY(event_types))
    THEN
        INSERT INTO webhook_events (type, structure_id, company_id, data)
        SELECT 'mission.status_changed', a.structure_id, a.company_id, jsonb_build_object(
            'mission_id', a.id, 'company_id', a.company_id,
            'structure_id', a.structure_id, 'from_status', b.status, 'to_status', a.status)
        FROM after a JOIN before b ON b.id = a.id
        WHERE a.status IS DISTINCT FROM b.status;
    END IF;""",
    ),
    "mission_hours": (
        "mission_hours",
        "AFTER INSERT OR UPDATE OF hours",
        ROW,
        """
    INSERT INTO webhook_events (type, structure_id, company_id, data)
    SELECT 'mission.hours_recorded', m.structure_id, m.company_id, jsonb_build_object(
        'mission_id', m.id, 'company_id', m.company_id, 'structure_id', m.structure_id,
        'month', to_char(NEW.month, 'YYYY-MM'),
        'hours', (SELECT sum(h.hours)::text FROM mission_hours h
                  WHERE h.mission_id = NEW.mission_id AND h.month = NEW.month))
    FROM missions m WHERE m.id = NEW.mission_id;""",
    ),
    "contracts": (
        "contracts",
        "AFTER INSERT",
        ROW,
        """
    INSERT INTO webhook_events (type, structure_id, data)
    VALUES ('contract.created', NEW.structure_id, jsonb_build_object(
        'contract_id', NEW.id, 'parcours_id', NEW.parcours_id, 'salarie_id', NEW.salarie_id,
        'structure_id', NEW.structure_id, 'kind', NEW.kind, 'start_date', NEW.start_date,
        'end_date', NEW.end_date));""",
    ),
    "contract_amendments": (
        "contract_amendments",
        "AFTER INSERT",
        ROW,
        """
    INSERT INTO webhook_events (type, structure_id, data)
    SELECT 'contract.amended', c.structure_id, jsonb_build_object(
        'contract_id', c.id, 'parcours_id', c.parcours_id, 'structure_id', c.structure_id,
        'amendment_id', NEW.id, 'end_date', NEW.new_end_date,
        'weekly_hours', NEW.new_weekly_hours::text)
    FROM contracts c WHERE c.id = NEW.contract_id;""",
    ),
    "parcours": (
        "parcours",
        "AFTER UPDATE OF exit_date",
        ROW,
        """
    IF OLD.exit_date IS NULL AND NEW.exit_date IS NOT NULL THEN
        INSERT INTO webhook_events (type, structure_id, data)
        VALUES ('parcours.exited', NEW.structure_id, jsonb_build_object(
            'parcours_id', NEW.id, 'salarie_id', NEW.salarie_id,
            'structure_id', NEW.structure_id, 'exit_date', NEW.exit_date,
            'motif', NEW.exit_motif, 'category', NEW.exit_category));
    END IF;""",
    ),
    "objectives": (
        "objectives",
        "AFTER UPDATE OF reached_on",
        ROW,
        """
    IF OLD.reached_on IS NULL AND NEW.reached_on IS NOT NULL THEN
        INSERT INTO webhook_events (type, structure_id, data)
        SELECT 'objective.reached', p.structure_id, jsonb_build_object(
            'objective_id', NEW.id, 'parcours_id', NEW.parcours_id,
            'structure_id', p.structure_id, 'reached_on', NEW.reached_on)
        FROM parcours p WHERE p.id = NEW.parcours_id;
    END IF;""",
    ),
}


# an event no subscription asks for is not kept: a write pays for events only once
# someone listens (subscriptions hear of what happens after they are made)
KEEP_WANTED = (
    """
CREATE FUNCTION webhook_event_wanted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE NEW.type = ANY(event_types)) THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER webhook_event_wanted BEFORE INSERT ON webhook_events
    FOR EACH ROW EXECUTE FUNCTION webhook_event_wanted()
""",
)


def upgrade() -> None:
    """The webhook tables."""
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("structure_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("fanned_out", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_webhook_events__dedup_key")),
    )
    op.create_index(
        "ix_webhook_events_pending",
        "webhook_events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("NOT fanned_out"),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), server_default="active", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name=op.f("fk_webhook_subscriptions__key_id__api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index(
        op.f("ix_webhook_subscriptions_key_id"), "webhook_subscriptions", ["key_id"], unique=False
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_deliveries__event_id__webhook_events"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries__subscription_id__webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_id",
            name=op.f("uq_webhook_deliveries__subscription_id_event_id"),
        ),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_event_id"), "webhook_deliveries", ["event_id"], unique=False
    )
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["subscription_id", "event_id"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "attempted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts__delivery_id__webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"], unique=False
    )
    for statement in KEEP_WANTED:
        op.execute(statement)
    for name, (table, timing, level, body) in TRIGGERS.items():
        op.execute(
            f"CREATE FUNCTION webhook_events_of_{name}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$\nBEGIN{body}\n    RETURN NULL;\nEND $$"
        )
        op.execute(
            f"CREATE TRIGGER webhook_events_of_{name} {timing} ON {table}"
            f" {level} EXECUTE FUNCTION webhook_events_of_{name}()"
        )


def downgrade() -> None:
    """Drops them."""
    for name, (table, *_) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER webhook_events_of_{name} ON {table}")
        op.execute(f"DROP FUNCTION webhook_events_of_{name}()")
    op.execute("DROP TRIGGER webhook_event_wanted ON webhook_events")
    op.execute("DROP FUNCTION webhook_event_wanted()")
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index(
        "ix_webhook_deliveries_pending",
        table_name="webhook_deliveries",
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.drop_index(op.f("ix_webhook_deliveries_event_id"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhook_subscriptions_key_id"), table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
    op.drop_index(
        "ix_webhook_events_pending",
        table_name="webhook_events",
        postgresql_where=sa.text("NOT fanned_out"),
    )
    op.drop_table("webhook_events")
