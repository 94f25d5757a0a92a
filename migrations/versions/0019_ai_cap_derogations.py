"""ai cap derogations: the préfet's decisions lifting an AI's 480-hour cap, with their dates

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:29:22.982161

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_cap_derogations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "start_date <= end_date", name=op.f("ck_ai_cap_derogations__dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_ai_cap_derogations__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_cap_derogations")),
    )
    op.create_index(
        "ix_ai_cap_derogations_structure_id_start_date",
        "ai_cap_derogations",
        ["structure_id", "start_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ai_cap_derogations_structure_id_start_date", table_name="ai_cap_derogations")
    op.drop_table("ai_cap_derogations")
