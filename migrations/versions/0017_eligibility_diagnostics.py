"""eligibility diagnostics: who made each, when, its criteria and which are certified

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:20:01.032187

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eligibility_diagnostics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("salarie_id", sa.Uuid(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column(
            "author",
            sa.Enum(
                "prescripteur",
                "siae",
                name="diagnostic_author",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("criteria", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column(
            "certified", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "certified <@ criteria",
            name=op.f("ck_eligibility_diagnostics__certified_among_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["salarie_id"],
            ["salaries.id"],
            name=op.f("fk_eligibility_diagnostics__salarie_id__salaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_diagnostics")),
    )
    op.create_index(
        "ix_eligibility_diagnostics_salarie_id_made_on",
        "eligibility_diagnostics",
        ["salarie_id", "made_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_eligibility_diagnostics_salarie_id_made_on", table_name="eligibility_diagnostics"
    )
    op.drop_table("eligibility_diagnostics")
