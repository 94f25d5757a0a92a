"""PASS IAE by motive: the new motives, a training's end, refused requests, and the
prescriber's orientation that lifts the 2-year wait

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "pass_iae_adjustments"
REASON = "ck_pass_iae_adjustments__pass_adjustment_reason"
BEFORE = (
    "arret_maladie",
    "conge_maternite",
    "incarceration",
    "contrat_hors_iae",
    "force_majeure",
    "formation_en_cours",
    "senior_50_ans_ou_plus",
    "rqth",
    "difficultes_particulieres",
)
ADDED = (
    "rupture_contrat",
    "periode_essai_hors_iae",
    "accord_cta",
    "contrat_passerelle",
    "cdi_inclusion_57_ans_ou_plus",
)


def _reasons(values: Sequence[str]) -> None:
    op.drop_constraint(op.f(REASON), TABLE, type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(op.f(REASON), TABLE, f"reason IN ({listed})")


def upgrade() -> None:
    op.add_column(
        "pass_iae",
        sa.Column(
            "prescriber_orientation", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    _reasons(BEFORE + ADDED)
    op.add_column(TABLE, sa.Column("training_end_date", sa.Date(), nullable=True))
    op.add_column(TABLE, sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        TABLE, sa.Column("violations", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_check_constraint(
        "refusal_with_its_reasons", TABLE, "(refused_at IS NULL) = (violations IS NULL)"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_pass_iae_adjustments__refusal_with_its_reasons"), TABLE, "check")
    op.execute(f"DELETE FROM {TABLE} WHERE refused_at IS NOT NULL")
    for column in ("violations", "refused_at", "training_end_date"):
        op.drop_column(TABLE, column)
    _reasons(BEFORE)  # refused while an adjustment has one of the new motives
    op.drop_column("pass_iae", "prescriber_orientation")
