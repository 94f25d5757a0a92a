"""Reference tables (territories, aide au poste, reference hours) and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRUCTURE_KINDS = ("EI", "ETTI", "AI", "ACI", "EITI")


def structure_kind() -> sa.Enum:
    return sa.Enum(
        *STRUCTURE_KINDS, name="structure_kind", native_enum=False, length=8, create_constraint=True
    )


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("overseas", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
        sa.UniqueConstraint("name", name=op.f("uq_regions__name")),
    )
    op.create_table(
        "departements",
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_departements__region_code__regions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departements")),
        sa.UniqueConstraint("name", name=op.f("uq_departements__name")),
    )
    op.create_index(
        op.f("ix_departements_region_code"), "departements", ["region_code"], unique=False
    )
    op.create_table(
        "aide_au_poste_rates",
        sa.Column("kind", structure_kind(), nullable=False),
        sa.Column("in_force_from", sa.Date(), nullable=False),
        sa.Column("amount_per_etp", sa.Numeric(12, 2), nullable=False),
        sa.CheckConstraint(
            "amount_per_etp > 0", name=op.f("ck_aide_au_poste_rates__amount_positive")
        ),
        sa.PrimaryKeyConstraint("kind", "in_force_from", name=op.f("pk_aide_au_poste_rates")),
    )
    op.create_table(
        "reference_hours",
        sa.Column("kind", structure_kind(), nullable=False),
        sa.Column("in_force_from", sa.Date(), nullable=False),
        sa.Column("annual_hours", sa.Numeric(7, 2), nullable=False),
        sa.CheckConstraint(
            "annual_hours > 0", name=op.f("ck_reference_hours__annual_hours_positive")
        ),
        sa.PrimaryKeyConstraint("kind", "in_force_from", name=op.f("pk_reference_hours")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "structure",
                "company",
                "network",
                name="api_key_role",
                native_enum=False,
                length=16,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("scopes", postgresql.ARRAY(sa.String(16)), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'structure') = (structure_id IS NOT NULL)"
            " AND (role = 'company') = (company_id IS NOT NULL)"
            " AND (role = 'network') = (network_id IS NOT NULL)",
            name=op.f("ck_api_keys__binding_matches_role"),
        ),
        sa.CheckConstraint(
            "cardinality(scopes) >= 1 AND scopes <@ ARRAY['read', 'write']::varchar[]",
            name=op.f("ck_api_keys__known_scopes"),
        ),
        sa.CheckConstraint("octet_length(digest) = 32", name=op.f("ck_api_keys__digest_is_sha256")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_keys__digest")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("reference_hours")
    op.drop_table("aide_au_poste_rates")
    op.drop_index(op.f("ix_departements_region_code"), table_name="departements")
    op.drop_table("departements")
    op.drop_table("regions")
