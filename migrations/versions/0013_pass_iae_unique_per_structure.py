"""a PASS IAE number is unique within a structure, not across all of them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:40:00

A PASS IAE follows a person from one SIAE to the next: each structure records it on its
own salarié record. pass_iae keeps the salarié's structure for the constraint.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pass_iae", sa.Column("structure_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE pass_iae SET structure_id = salaries.structure_id "
        "FROM salaries WHERE salaries.id = pass_iae.salarie_id"
    )
    op.alter_column("pass_iae", "structure_id", nullable=False)
    op.create_foreign_key(
        op.f("fk_pass_iae__structure_id__structures"),
        "pass_iae",
        "structures",
        ["structure_id"],
        ["id"],
    )
    op.drop_constraint("uq_pass_iae__number", "pass_iae", type_="unique")
    op.create_unique_constraint(
        op.f("uq_pass_iae__structure_id_number"), "pass_iae", ["structure_id", "number"]
    )


def downgrade() -> None:
    op.drop_constraint("uq_pass_iae__structure_id_number", "pass_iae", type_="unique")
    op.create_unique_constraint("uq_pass_iae__number", "pass_iae", ["number"])
    op.drop_constraint("fk_pass_iae__structure_id__structures", "pass_iae", type_="foreignkey")
    op.drop_column("pass_iae", "structure_id")
