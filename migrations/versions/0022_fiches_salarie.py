"""fiches salarié: the ASP profile, fiches and their PASS IAE notifications, batches
and their lines, the ASP's commune and country tables

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 01:11:50.198522

"""

import csv
import datetime as dt
import gzip
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).resolve().parents[2] / "app" / "fiches" / "data"

# A change of an integrated (or sent, or disabled) fiche's PASS IAE dates, whichever
# path makes it, queues one `M` movement for the ASP; a second change before the next
# batch refreshes the waiting one.
QUEUE_NOTIFICATION = """
CREATE FUNCTION queue_pass_iae_notification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.start_date IS DISTINCT FROM OLD.start_date
       OR NEW.end_date IS DISTINCT FROM OLD.end_date THEN
        INSERT INTO pass_iae_notifications (id, fiche_id, status)
        SELECT gen_random_uuid(), f.id, 'new' FROM fiches_salarie f
        WHERE f.pass_iae_id = NEW.id AND f.status IN ('processed', 'sent', 'disabled')
        ON CONFLICT (fiche_id) WHERE status = 'new' DO UPDATE SET updated_at = now();
    END IF;
    RETURN NEW;
END;
$$
"""

# the webhook outbox (migration 0011): a fiche the ASP rejected
FICHE_REJECTED = """
CREATE FUNCTION fiches_salarie_webhook_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'rejected' AND OLD.status IS DISTINCT FROM 'rejected' THEN
        INSERT INTO webhook_events (type, structure_id, data)
        VALUES ('fiche_salarie.rejected', NEW.structure_id, jsonb_build_object(
            'fiche_salarie_id', NEW.id, 'salarie_id', NEW.salarie_id,
            'structure_id', NEW.structure_id, 'asp_code', NEW.asp_code,
            'asp_label', NEW.asp_label));
    END IF;
    RETURN NULL;
END;
$$
"""


def _rows(name: str) -> Iterator[dict[str, str]]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(DATA / name, "rt", encoding="utf-8", newline="") as source:
        yield from csv.DictReader(source)


def _load_reference_tables() -> None:
    countries = sa.table(
        "asp_countries",
        sa.column("code"),
        sa.column("overseas", sa.Boolean),
        sa.column("name"),
        sa.column("group"),
    )
    op.bulk_insert(
        countries,
        [
            {
                "code": r["code"],
                "overseas": r["overseas"] == "true",
                "name": r["name"],
                "group": r["group"],
            }
            for r in _rows("countries.csv")
        ],
    )
    communes = sa.table(
        "asp_communes",
        sa.column("code"),
        sa.column("start_date", sa.Date),
        sa.column("end_date", sa.Date),
        sa.column("name"),
        sa.column("as_country"),
    )
    op.bulk_insert(
        communes,
        [
            {
                "code": r["code"],
                "name": r["name"],
                "start_date": dt.date.fromisoformat(r["start"]),
                "end_date": dt.date.fromisoformat(r["end"]) if r["end"] else None,
                "as_country": r["as_country"] or None,
            }
            for r in _rows("communes.csv.gz")
        ],
    )


def upgrade() -> None:
    op.create_table(
        "asp_communes",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("as_country", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("code", "start_date", name=op.f("pk_asp_communes")),
    )
    op.create_table(
        "asp_countries",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("overseas", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=1), nullable=False),
        sa.PrimaryKeyConstraint("code", "overseas", name=op.f("pk_asp_countries")),
    )
    op.create_table(
        "asp_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column(
            "movement",
            sa.Enum("C", "M", name="movement", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=60), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_asp_batches__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asp_batches")),
        sa.UniqueConstraint(
            "structure_id", "file_name", name=op.f("uq_asp_batches__structure_id_file_name")
        ),
    )
    op.create_index(
        "ix_asp_batches_structure_id_created_at",
        "asp_batches",
        ["structure_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "salarie_asp_profiles",
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("nir_sealed", sa.LargeBinary(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"],
            ["salaries.id"],
            name=op.f("fk_salarie_asp_profiles__salarie_id__salaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("salarie_id", name=op.f("pk_salarie_asp_profiles")),
    )
    op.create_table(
        "fiches_salarie",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("pass_iae_id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("asp_uid", sa.String(length=30), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "ready",
                "sent",
                "processed",
                "rejected",
                "disabled",
                "archived",
                name="fiche_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("asp_code", sa.String(length=20), nullable=True),
        sa.Column("asp_label", sa.String(length=200), nullable=True),
        sa.Column(
            "processed_as_duplicate", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
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
            ["pass_iae_id"],
            ["pass_iae.id"],
            name=op.f("fk_fiches_salarie__pass_iae_id__pass_iae"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"],
            ["salaries.id"],
            name=op.f("fk_fiches_salarie__salarie_id__salaries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_fiches_salarie__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiches_salarie")),
        sa.UniqueConstraint(
            "siret", "pass_iae_id", name=op.f("uq_fiches_salarie__siret_pass_iae_id")
        ),
    )
    op.create_index(
        op.f("ix_fiches_salarie_salarie_id"), "fiches_salarie", ["salarie_id"], unique=False
    )
    op.create_index(
        "ix_fiches_salarie_structure_id_status",
        "fiches_salarie",
        ["structure_id", "status", "updated_at"],
        unique=False,
    )
    op.create_table(
        "pass_iae_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fiche_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "sent",
                "processed",
                "rejected",
                name="notification_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("asp_code", sa.String(length=20), nullable=True),
        sa.Column("asp_label", sa.String(length=200), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiches_salarie.id"],
            name=op.f("fk_pass_iae_notifications__fiche_id__fiches_salarie"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_iae_notifications")),
    )
    op.create_index(
        "uq_pass_iae_notifications_waiting",
        "pass_iae_notifications",
        ["fiche_id"],
        unique=True,
        postgresql_where=sa.text("status = 'new'"),
    )
    op.create_table(
        "asp_batch_lines",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("fiche_id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("pass_number", sa.String(length=20), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("asp_code", sa.String(length=20), nullable=True),
        sa.Column("asp_label", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["asp_batches.id"],
            name=op.f("fk_asp_batch_lines__batch_id__asp_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiches_salarie.id"],
            name=op.f("fk_asp_batch_lines__fiche_id__fiches_salarie"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["pass_iae_notifications.id"],
            name=op.f("fk_asp_batch_lines__notification_id__pass_iae_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"],
            ["salaries.id"],
            name=op.f("fk_asp_batch_lines__salarie_id__salaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "number", name=op.f("pk_asp_batch_lines")),
    )
    op.create_index(
        op.f("ix_asp_batch_lines_fiche_id"), "asp_batch_lines", ["fiche_id"], unique=False
    )
    op.create_index(
        op.f("ix_asp_batch_lines_salarie_id"), "asp_batch_lines", ["salarie_id"], unique=False
    )
    _load_reference_tables()
    op.execute(QUEUE_NOTIFICATION)
    op.execute(
        "CREATE TRIGGER queue_pass_iae_notification AFTER UPDATE OF start_date, end_date"
        " ON pass_iae FOR EACH ROW EXECUTE FUNCTION queue_pass_iae_notification()"
    )
    op.execute(FICHE_REJECTED)
    op.execute(
        "CREATE TRIGGER fiches_salarie_webhook_events AFTER UPDATE OF status"
        " ON fiches_salarie FOR EACH ROW EXECUTE FUNCTION fiches_salarie_webhook_events()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER fiches_salarie_webhook_events ON fiches_salarie")
    op.execute("DROP FUNCTION fiches_salarie_webhook_events()")
    op.execute("DROP TRIGGER queue_pass_iae_notification ON pass_iae")
    op.execute("DROP FUNCTION queue_pass_iae_notification()")
    op.drop_index(op.f("ix_asp_batch_lines_salarie_id"), table_name="asp_batch_lines")
    op.drop_index(op.f("ix_asp_batch_lines_fiche_id"), table_name="asp_batch_lines")
    op.drop_table("asp_batch_lines")
    op.drop_index(
        "uq_pass_iae_notifications_waiting",
        table_name="pass_iae_notifications",
        postgresql_where=sa.text("status = 'new'"),
    )
    op.drop_table("pass_iae_notifications")
    op.drop_index("ix_fiches_salarie_structure_id_status", table_name="fiches_salarie")
    op.drop_index(op.f("ix_fiches_salarie_salarie_id"), table_name="fiches_salarie")
    op.drop_table("fiches_salarie")
    op.drop_table("salarie_asp_profiles")
    op.drop_index("ix_asp_batches_structure_id_created_at", table_name="asp_batches")
    op.drop_table("asp_batches")
    op.drop_table("asp_countries")
    op.drop_table("asp_communes")
