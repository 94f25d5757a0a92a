"""partnerships: which company works with which structure, as the registry reads it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:30:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A company key sees the structures it gave missions to, and a structure key the
# companies that gave it missions. The registry (app/structures, app/companies) reads
# that link from this view, so that it knows nothing of missions; a plain view is
# inlined by the planner, so the subqueries it serves cost what they did on missions.


def upgrade() -> None:
    op.execute("CREATE VIEW partnerships AS SELECT company_id, structure_id FROM missions")


def downgrade() -> None:
    op.execute("DROP VIEW partnerships")
