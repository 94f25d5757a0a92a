"""Aggregates for the exit indicators: exits per structure, month and category, kept
by a trigger on parcours

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRACK_EXITS = """
CREATE FUNCTION track_structure_month_exits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.exit_date IS NOT NULL THEN
        UPDATE structure_month_exits
           SET exits = exits - 1, days = days - (OLD.exit_date - OLD.entry_date + 1)
         WHERE structure_id = OLD.structure_id
           AND month = date_trunc('month', OLD.exit_date)::date
           AND category = OLD.exit_category;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.exit_date IS NOT NULL THEN
        INSERT INTO structure_month_exits (structure_id, month, category, exits, days)
        VALUES (NEW.structure_id, date_trunc('month', NEW.exit_date)::date, NEW.exit_category, 1,
                NEW.exit_date - NEW.entry_date + 1)
        ON CONFLICT (structure_id, month, category) DO UPDATE
           SET exits = structure_month_exits.exits + 1,
               days = structure_month_exits.days + EXCLUDED.days;
    END IF;
    RETURN NULL;
END;
$$
"""
BACKFILL = """
INSERT INTO structure_month_exits (structure_id, month, category, exits, days)
SELECT structure_id, date_trunc('month', exit_date)::date, exit_category, count(*),
       sum(exit_date - entry_date + 1)
FROM parcours WHERE exit_date IS NOT NULL
GROUP BY 1, 2, 3
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "structure_month_exits",
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("exits", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_structure_month_exits__structure_id__structures"),
        ),
        sa.PrimaryKeyConstraint(
            "structure_id", "month", "category", name=op.f("pk_structure_month_exits")
        ),
    )

    op.create_index(
        "ix_structure_month_exits_month", "structure_month_exits", ["month"], unique=False
    )
    op.execute(TRACK_EXITS)
    op.execute(
        "CREATE TRIGGER parcours_track_structure_month_exits"
        " AFTER INSERT OR UPDATE OR DELETE ON parcours"
        " FOR EACH ROW EXECUTE FUNCTION track_structure_month_exits()"
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_structure_month_exits_month", table_name="structure_month_exits")
    op.execute("DROP TRIGGER parcours_track_structure_month_exits ON parcours")
    op.execute("DROP FUNCTION track_structure_month_exits()")
    op.drop_table("structure_month_exits")
