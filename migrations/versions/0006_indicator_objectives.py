"""Objectives: target values of indicators over a scope and a period

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "indicator_objectives",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column(
            "scope_kind",
            sa.Enum(
                "national",
                "region",
                "structure",
                "company",
                "network",
                name="objective_scope_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=2), nullable=True),
        sa.Column("structure_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("target_value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(scope_kind = 'region') = (region_code IS NOT NULL)"
            " AND (scope_kind = 'structure') = (structure_id IS NOT NULL)"
            " AND (scope_kind = 'company') = (company_id IS NOT NULL)"
            " AND (scope_kind = 'network') = (network_id IS NOT NULL)",
            name=op.f("ck_indicator_objectives__scope_matches_kind"),
        ),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_indicator_objectives__period_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_indicator_objectives__company_id__companies"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_indicator_objectives__network_id__networks"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_indicator_objectives__region_code__regions"),
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_indicator_objectives__structure_id__structures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_objectives")),
    )
    op.create_index(
        op.f("ix_indicator_objectives_company_id"),
        "indicator_objectives",
        ["company_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indicator_objectives_network_id"),
        "indicator_objectives",
        ["network_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indicator_objectives_structure_id"),
        "indicator_objectives",
        ["structure_id"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_indicator_objectives_structure_id"), table_name="indicator_objectives")
    op.drop_index(op.f("ix_indicator_objectives_network_id"), table_name="indicator_objectives")
    op.drop_index(op.f("ix_indicator_objectives_company_id"), table_name="indicator_objectives")
    op.drop_table("indicator_objectives")
