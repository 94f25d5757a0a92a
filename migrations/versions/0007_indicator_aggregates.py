"""Aggregates for the indicators: hours per structure and month kept by a trigger,
and indexes on the parcours dates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRACK_HOURS = """
CREATE FUNCTION track_structure_month_hours() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    structure uuid;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT structure_id INTO structure FROM contracts WHERE id = OLD.contract_id;
        UPDATE structure_month_hours
           SET hours = hours - OLD.hours, records = records - 1
         WHERE structure_id = structure AND month = OLD.month;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT structure_id INTO structure FROM contracts WHERE id = NEW.contract_id;
        INSERT INTO structure_month_hours (structure_id, month, hours, records)
        VALUES (structure, NEW.month, NEW.hours, 1)
        ON CONFLICT (structure_id, month) DO UPDATE
           SET hours = structure_month_hours.hours + EXCLUDED.hours,
               records = structure_month_hours.records + 1;
    END IF;
    RETURN NULL;
END;
$$
"""
BACKFILL = """
INSERT INTO structure_month_hours (structure_id, month, hours, records)
SELECT c.structure_id, h.month, sum(h.hours), count(*)
FROM monthly_hours h JOIN contracts c ON c.id = h.contract_id
GROUP BY c.structure_id, h.month
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "structure_month_hours",
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_structure_month_hours__structure_id__structures"),
        ),
        sa.PrimaryKeyConstraint("structure_id", "month", name=op.f("pk_structure_month_hours")),
    )
    op.create_index("ix_parcours_entry_date", "parcours", ["entry_date"], unique=False)
    op.create_index("ix_parcours_exit_date", "parcours", ["exit_date"], unique=False)

    op.create_index(
        "ix_structure_month_hours_month", "structure_month_hours", ["month"], unique=False
    )
    op.execute(TRACK_HOURS)
    op.execute(
        "CREATE TRIGGER monthly_hours_track_structure_month_hours"
        " AFTER INSERT OR UPDATE OR DELETE ON monthly_hours"
        " FOR EACH ROW EXECUTE FUNCTION track_structure_month_hours()"
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_structure_month_hours_month", table_name="structure_month_hours")
    op.execute("DROP TRIGGER monthly_hours_track_structure_month_hours ON monthly_hours")
    op.execute("DROP FUNCTION track_structure_month_hours()")
    op.drop_index("ix_parcours_exit_date", table_name="parcours")
    op.drop_index("ix_parcours_entry_date", table_name="parcours")
    op.drop_table("structure_month_hours")
