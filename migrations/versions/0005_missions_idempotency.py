"""Missions, their staffing and hours, and idempotency records

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "idempotency_records",
        sa.Column("caller", sa.LargeBinary(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_index(
        "ix_idempotency_records_created_at", "idempotency_records", ["created_at"], unique=False
    )
    op.create_table(
        "missions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("external_ref", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "prestation",
                "sous_traitance",
                "chantier",
                "mise_a_disposition",
                name="mission_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "sector",
            sa.Enum(
                "agriculture_maraichage",
                "espaces_verts",
                "batiment_travaux_publics",
                "proprete_nettoyage",
                "recyclage_reemploi",
                "industrie",
                "logistique_transport",
                "commerce",
                "restauration",
                "services_a_la_personne",
                "services_aux_entreprises",
                "textile",
                "numerique",
                "tourisme_culture",
                "sante_social",
                "autre",
                name="activity_sector",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("planned_hours", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("amount_ht", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("social_clause", sa.Boolean(), nullable=False),
        sa.Column("insertion_hours_target", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "proposee",
                "acceptee",
                "en_cours",
                "terminee",
                "annulee",
                name="mission_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("content_hash", sa.LargeBinary(), nullable=False),
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
        sa.CheckConstraint(
            "amount_ht >= 0 AND planned_hours >= 0", name=op.f("ck_missions__not_negative")
        ),
        sa.CheckConstraint(
            "social_clause = (insertion_hours_target IS NOT NULL)",
            name=op.f("ck_missions__clause_has_target"),
        ),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_missions__dates_ordered")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_missions__company_id__companies")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"], ["structures.id"], name=op.f("fk_missions__structure_id__structures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
        sa.UniqueConstraint(
            "company_id", "external_ref", name=op.f("uq_missions__company_id_external_ref")
        ),
    )
    op.create_index(
        "ix_missions_company_id_updated_at",
        "missions",
        ["company_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_missions_region_code"), "missions", ["region_code"], unique=False)
    op.create_index(
        "ix_missions_structure_id_updated_at",
        "missions",
        ["structure_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index("ix_missions_updated_at_id", "missions", ["updated_at", "id"], unique=False)
    op.create_table(
        "mission_assignments",
        sa.Column("mission_id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mission_assignments__mission_id__missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"],
            ["salaries.id"],
            name=op.f("fk_mission_assignments__salarie_id__salaries"),
        ),
        sa.PrimaryKeyConstraint("mission_id", "salarie_id", name=op.f("pk_mission_assignments")),
    )
    op.create_table(
        "mission_hours",
        sa.Column("mission_id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "extract(day from month) = 1", name=op.f("ck_mission_hours__first_of_month")
        ),
        sa.CheckConstraint("hours >= 0", name=op.f("ck_mission_hours__hours_not_negative")),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mission_hours__mission_id__missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"], ["salaries.id"], name=op.f("fk_mission_hours__salarie_id__salaries")
        ),
        sa.PrimaryKeyConstraint("mission_id", "salarie_id", "month", name=op.f("pk_mission_hours")),
    )
    op.create_index("ix_mission_hours_salarie_id", "mission_hours", ["salarie_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_mission_hours_salarie_id", table_name="mission_hours")
    op.drop_table("mission_hours")
    op.drop_table("mission_assignments")
    op.drop_index("ix_missions_updated_at_id", table_name="missions")
    op.drop_index("ix_missions_structure_id_updated_at", table_name="missions")
    op.drop_index(op.f("ix_missions_region_code"), table_name="missions")
    op.drop_index("ix_missions_company_id_updated_at", table_name="missions")
    op.drop_table("missions")
    op.drop_index("ix_idempotency_records_created_at", table_name="idempotency_records")
    op.drop_table("idempotency_records")
