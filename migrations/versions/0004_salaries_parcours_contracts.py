"""Salariés, PASS IAE and adjustments, parcours, contracts with their avenants,
derogations, monthly hours and accompaniment

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "salaries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column(
            "gender",
            sa.Enum(
                "femme",
                "homme",
                "non_precise",
                name="gender",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("residence_qpv", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("residence_zrr", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "criteria", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
        sa.Column("nir_hash", sa.LargeBinary(), nullable=True),
        sa.Column("france_travail_id", sa.String(length=20), nullable=True),
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
            ["structure_id"], ["structures.id"], name=op.f("fk_salaries__structure_id__structures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salaries")),
    )
    op.create_index(
        "ix_salaries_structure_id_identity",
        "salaries",
        ["structure_id", "birth_date", "last_name"],
        unique=False,
    )
    op.create_index("ix_salaries_updated_at_id", "salaries", ["updated_at", "id"], unique=False)
    op.create_index(
        "uq_salaries__structure_id_nir_hash",
        "salaries",
        ["structure_id", "nir_hash"],
        unique=True,
        postgresql_where=sa.text("nir_hash IS NOT NULL"),
    )
    op.create_table(
        "parcours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "en_cours",
                "sorti",
                name="parcours_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column(
            "exit_motif",
            sa.Enum(
                "cdi",
                "cdd_6_mois_ou_plus",
                "interim_6_mois_ou_plus",
                "fonction_publique",
                "creation_entreprise",
                "cdd_moins_6_mois",
                "interim_moins_6_mois",
                "contrat_aide_employeur_ordinaire",
                "formation_qualifiante",
                "embauche_autre_siae",
                "chomage",
                "inactivite",
                "sante",
                "demenagement",
                "inconnue",
                "autre",
                "fin_periode_essai",
                "deces",
                "detention",
                name="exit_motif",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column(
            "exit_category",
            sa.Enum(
                "emploi_durable",
                "emploi_transition",
                "sortie_positive",
                "autre_sortie",
                "retrait",
                name="exit_category",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
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
            "(status = 'sorti') = (exit_date IS NOT NULL)"
            " AND (exit_date IS NULL) = (exit_motif IS NULL)"
            " AND (exit_date IS NULL) = (exit_category IS NULL)",
            name=op.f("ck_parcours__exit_recorded_whole"),
        ),
        sa.CheckConstraint(
            "exit_date IS NULL OR exit_date >= entry_date",
            name=op.f("ck_parcours__exit_after_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"], ["salaries.id"], name=op.f("fk_parcours__salarie_id__salaries")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"], ["structures.id"], name=op.f("fk_parcours__structure_id__structures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcours")),
    )
    op.create_index(op.f("ix_parcours_salarie_id"), "parcours", ["salarie_id"], unique=False)
    op.create_index(
        "ix_parcours_structure_id_updated_at",
        "parcours",
        ["structure_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "pass_iae",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
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
            ["salarie_id"],
            ["salaries.id"],
            name=op.f("fk_pass_iae__salarie_id__salaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_iae")),
        sa.UniqueConstraint("number", name=op.f("uq_pass_iae__number")),
        sa.UniqueConstraint("salarie_id", name=op.f("uq_pass_iae__salarie_id")),
    )
    op.create_table(
        "accompaniment_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parcours_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "entretien",
                "formation",
                "demarche_emploi",
                "immersion",
                "bilan",
                "accompagnement_social",
                "autre",
                name="action_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_accompaniment_actions__duration_positive")
        ),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_accompaniment_actions__parcours_id__parcours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accompaniment_actions")),
    )
    op.create_index(
        op.f("ix_accompaniment_actions_parcours_id"),
        "accompaniment_actions",
        ["parcours_id"],
        unique=False,
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parcours_id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cddi",
                "ctti",
                "mise_a_disposition",
                "cdi_inclusion",
                name="contract_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("weekly_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column(
            "warnings", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
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
            "end_date IS NULL OR start_date <= end_date", name=op.f("ck_contracts__dates_ordered")
        ),
        sa.CheckConstraint(
            "weekly_hours > 0 AND weekly_hours <= 48", name=op.f("ck_contracts__weekly_hours_range")
        ),
        sa.ForeignKeyConstraint(
            ["parcours_id"], ["parcours.id"], name=op.f("fk_contracts__parcours_id__parcours")
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"], ["salaries.id"], name=op.f("fk_contracts__salarie_id__salaries")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"], ["structures.id"], name=op.f("fk_contracts__structure_id__structures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_index("ix_contracts_end_date", "contracts", ["end_date"], unique=False)
    op.create_index(op.f("ix_contracts_parcours_id"), "contracts", ["parcours_id"], unique=False)
    op.create_index(
        "ix_contracts_salarie_id_structure_id",
        "contracts",
        ["salarie_id", "structure_id"],
        unique=False,
    )
    op.create_table(
        "derogations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parcours_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "senior_50_ans_ou_plus",
                "rqth",
                "difficultes_particulieres",
                "formation_en_cours",
                "moins_20h_prefet",
                "moins_20h_autre_emploi",
                name="derogation_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_derogations__dates_ordered")),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_derogations__parcours_id__parcours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derogations")),
    )
    op.create_index("ix_derogations_end_date", "derogations", ["end_date"], unique=False)
    op.create_index(
        op.f("ix_derogations_parcours_id"), "derogations", ["parcours_id"], unique=False
    )
    op.create_table(
        "freins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parcours_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "mobilite",
                "logement",
                "sante",
                "garde_enfants",
                "langue",
                "numerique",
                "justice",
                "ressources",
                name="frein",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "lifted_on IS NULL OR lifted_on >= identified_on", name=op.f("ck_freins__lifted_after")
        ),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_freins__parcours_id__parcours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freins")),
    )
    op.create_index(op.f("ix_freins_parcours_id"), "freins", ["parcours_id"], unique=False)
    op.create_table(
        "objectives",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parcours_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_objectives__parcours_id__parcours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
    )
    op.create_index(op.f("ix_objectives_parcours_id"), "objectives", ["parcours_id"], unique=False)
    op.create_table(
        "pass_iae_adjustments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pass_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "suspension",
                "prolongation",
                name="pass_adjustment_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "arret_maladie",
                "conge_maternite",
                "incarceration",
                "contrat_hors_iae",
                "force_majeure",
                "formation_en_cours",
                "senior_50_ans_ou_plus",
                "rqth",
                "difficultes_particulieres",
                name="pass_adjustment_reason",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "start_date <= end_date", name=op.f("ck_pass_iae_adjustments__dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["pass_iae.id"],
            name=op.f("fk_pass_iae_adjustments__pass_id__pass_iae"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_iae_adjustments")),
    )
    op.create_index(
        op.f("ix_pass_iae_adjustments_pass_id"), "pass_iae_adjustments", ["pass_id"], unique=False
    )
    op.create_table(
        "contract_amendments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("previous_end_date", sa.Date(), nullable=True),
        sa.Column("new_end_date", sa.Date(), nullable=True),
        sa.Column("previous_weekly_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("new_weekly_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_amendments__contract_id__contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_amendments")),
    )
    op.create_index(
        op.f("ix_contract_amendments_contract_id"),
        "contract_amendments",
        ["contract_id"],
        unique=False,
    )
    op.create_table(
        "monthly_hours",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "extract(day from month) = 1", name=op.f("ck_monthly_hours__first_of_month")
        ),
        sa.CheckConstraint("hours >= 0", name=op.f("ck_monthly_hours__hours_not_negative")),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_monthly_hours__contract_id__contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "month", name=op.f("pk_monthly_hours")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("monthly_hours")
    op.drop_index(op.f("ix_contract_amendments_contract_id"), table_name="contract_amendments")
    op.drop_table("contract_amendments")
    op.drop_index(op.f("ix_pass_iae_adjustments_pass_id"), table_name="pass_iae_adjustments")
    op.drop_table("pass_iae_adjustments")
    op.drop_index(op.f("ix_objectives_parcours_id"), table_name="objectives")
    op.drop_table("objectives")
    op.drop_index(op.f("ix_freins_parcours_id"), table_name="freins")
    op.drop_table("freins")
    op.drop_index(op.f("ix_derogations_parcours_id"), table_name="derogations")
    op.drop_index("ix_derogations_end_date", table_name="derogations")
    op.drop_table("derogations")
    op.drop_index("ix_contracts_salarie_id_structure_id", table_name="contracts")
    op.drop_index(op.f("ix_contracts_parcours_id"), table_name="contracts")
    op.drop_index("ix_contracts_end_date", table_name="contracts")
    op.drop_table("contracts")
    op.drop_index(op.f("ix_accompaniment_actions_parcours_id"), table_name="accompaniment_actions")
    op.drop_table("accompaniment_actions")
    op.drop_table("pass_iae")
    op.drop_index("ix_parcours_structure_id_updated_at", table_name="parcours")
    op.drop_index(op.f("ix_parcours_salarie_id"), table_name="parcours")
    op.drop_table("parcours")
    op.drop_index(
        "uq_salaries__structure_id_nir_hash",
        table_name="salaries",
        postgresql_where=sa.text("nir_hash IS NOT NULL"),
    )
    op.drop_index("ix_salaries_updated_at_id", table_name="salaries")
    op.drop_index("ix_salaries_structure_id_identity", table_name="salaries")
    op.drop_table("salaries")
