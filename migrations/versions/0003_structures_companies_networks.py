"""Structures, antennes and their SIRET history, annexes financières, client
companies, networks; rates of aide au poste in force become immutable.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a rate in force was published by arrêté: it is corrected by a new row, never edited
# (checked against the transaction's date; raised as a constraint violation, so a 409)
IMMUTABLE_RATES = """
CREATE FUNCTION forbid_change_of_rate_in_force() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.in_force_from <= current_date THEN
        RAISE EXCEPTION 'the aide au poste rate of % from % is in force: add a new rate instead',
            OLD.kind, OLD.in_force_from
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    # before the tables whose (departement_code, region_code) reference it
    op.create_unique_constraint(
        op.f("uq_departements__code_region_code"), "departements", ["code", "region_code"]
    )
    op.create_table(
        "networks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "region_codes",
            postgresql.ARRAY(sa.String(length=2)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "departement_codes",
            postgresql.ARRAY(sa.String(length=3)),
            server_default="{}",
            nullable=False,
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("name", name=op.f("uq_networks__name")),
    )
    op.create_table(
        "companies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column(
            "siren",
            sa.String(length=9),
            sa.Computed("substr(siret, 1, 9)", persisted=True),
            nullable=True,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "entreprise",
                "particulier",
                "association",
                "collectivite",
                name="company_category",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "size",
            sa.Enum(
                "TPE",
                "PME",
                "ETI",
                "GE",
                name="company_size",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=True,
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
            nullable=True,
        ),
        sa.Column("region_code", sa.String(length=2), nullable=False),
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
            "category = 'particulier' OR siret IS NOT NULL",
            name=op.f("ck_companies__siret_unless_individual"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_companies__region_code__regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("siret", name=op.f("uq_companies__siret")),
    )
    op.create_index(op.f("ix_companies_region_code"), "companies", ["region_code"], unique=False)
    op.create_index(op.f("ix_companies_siren"), "companies", ["siren"], unique=False)
    op.create_index("ix_companies_updated_at_id", "companies", ["updated_at", "id"], unique=False)
    op.create_table(
        "structures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column(
            "siren",
            sa.String(length=9),
            sa.Computed("substr(siret, 1, 9)", persisted=True),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "EI",
                "ETTI",
                "AI",
                "ACI",
                "EITI",
                name="structure_kind",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column(
            "sectors", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=30), nullable=True),
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
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["departement_code", "region_code"],
            ["departements.code", "departements.region_code"],
            name=op.f("fk_structures__departement_code_region_code__departements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structures")),
        sa.UniqueConstraint("siret", name=op.f("uq_structures__siret")),
    )
    op.create_index(
        "ix_structures_departement_code", "structures", ["departement_code"], unique=False
    )
    op.create_index("ix_structures_region_code", "structures", ["region_code"], unique=False)
    op.create_index(
        "ix_structures_sectors", "structures", ["sectors"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_structures_siren"), "structures", ["siren"], unique=False)
    op.create_index("ix_structures_updated_at_id", "structures", ["updated_at", "id"], unique=False)
    op.create_table(
        "annexes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("etp_conventionnes", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("modulation_rate", sa.Numeric(precision=5, scale=2), nullable=False),
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
        sa.CheckConstraint("etp_conventionnes > 0", name=op.f("ck_annexes__etp_positive")),
        sa.CheckConstraint(
            "extract(year from start_date) = year AND extract(year from end_date) = year",
            name=op.f("ck_annexes__within_year"),
        ),
        sa.CheckConstraint(
            "modulation_rate >= 0 AND modulation_rate <= 100",
            name=op.f("ck_annexes__rate_percentage"),
        ),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_annexes__dates_ordered")),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_annexes__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annexes")),
    )
    op.create_index(
        "ix_annexes_structure_id_start_date",
        "annexes",
        ["structure_id", "start_date"],
        unique=False,
    )
    op.create_table(
        "antennes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["departement_code", "region_code"],
            ["departements.code", "departements.region_code"],
            name=op.f("fk_antennes__departement_code_region_code__departements"),
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_antennes__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_antennes")),
        sa.UniqueConstraint("siret", name=op.f("uq_antennes__siret")),
    )
    op.create_index(op.f("ix_antennes_structure_id"), "antennes", ["structure_id"], unique=False)
    op.create_table(
        "network_members",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column(
            "joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_network_members__network_id__networks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_network_members__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("network_id", "structure_id", name=op.f("pk_network_members")),
    )
    op.create_index(
        op.f("ix_network_members_structure_id"), "network_members", ["structure_id"], unique=False
    )
    op.create_table(
        "sirets",
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("antenne_id", sa.Uuid(), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["antenne_id"],
            ["antennes.id"],
            name=op.f("fk_sirets__antenne_id__antennes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_sirets__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("siret", name=op.f("pk_sirets")),
    )
    op.create_index(op.f("ix_sirets_structure_id"), "sirets", ["structure_id"], unique=False)
    op.execute(IMMUTABLE_RATES)
    op.execute(
        "CREATE TRIGGER aide_au_poste_rates_in_force_are_immutable"
        " BEFORE UPDATE OR DELETE ON aide_au_poste_rates"
        " FOR EACH ROW EXECUTE FUNCTION forbid_change_of_rate_in_force()"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER aide_au_poste_rates_in_force_are_immutable ON aide_au_poste_rates")
    op.execute("DROP FUNCTION forbid_change_of_rate_in_force()")
    op.drop_index(op.f("ix_sirets_structure_id"), table_name="sirets")
    op.drop_table("sirets")
    op.drop_index(op.f("ix_network_members_structure_id"), table_name="network_members")
    op.drop_table("network_members")
    op.drop_index(op.f("ix_antennes_structure_id"), table_name="antennes")
    op.drop_table("antennes")
    op.drop_index("ix_annexes_structure_id_start_date", table_name="annexes")
    op.drop_table("annexes")
    op.drop_index("ix_structures_updated_at_id", table_name="structures")
    op.drop_index(op.f("ix_structures_siren"), table_name="structures")
    op.drop_index("ix_structures_sectors", table_name="structures", postgresql_using="gin")
    op.drop_index("ix_structures_region_code", table_name="structures")
    op.drop_index("ix_structures_departement_code", table_name="structures")
    op.drop_table("structures")
    op.drop_index("ix_companies_updated_at_id", table_name="companies")
    op.drop_index(op.f("ix_companies_siren"), table_name="companies")
    op.drop_index(op.f("ix_companies_region_code"), table_name="companies")
    op.drop_table("companies")
    op.drop_table("networks")
    op.drop_constraint(op.f("uq_departements__code_region_code"), "departements", type_="unique")
