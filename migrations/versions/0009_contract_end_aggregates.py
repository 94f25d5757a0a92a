"""Aggregates for the contract-length indicator: contracts ending per structure and
month, kept by a trigger on contracts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRACK_ENDS = """
CREATE FUNCTION track_structure_month_contract_ends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.end_date IS NOT NULL THEN
        UPDATE structure_month_contract_ends
           SET contracts = contracts - 1, days = days - (OLD.end_date - OLD.start_date + 1)
         WHERE structure_id = OLD.structure_id
           AND month = date_trunc('month', OLD.end_date)::date;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.end_date IS NOT NULL THEN
        INSERT INTO structure_month_contract_ends (structure_id, month, contracts, days)
        VALUES (NEW.structure_id, date_trunc('month', NEW.end_date)::date, 1,
                NEW.end_date - NEW.start_date + 1)
        ON CONFLICT (structure_id, month) DO UPDATE
           SET contracts = structure_month_contract_ends.contracts + 1,
               days = structure_month_contract_ends.days + EXCLUDED.days;
    END IF;
    RETURN NULL;
END;
$$
"""
BACKFILL = """
INSERT INTO structure_month_contract_ends (structure_id, month, contracts, days)
SELECT structure_id, date_trunc('month', end_date)::date, count(*), sum(end_date - start_date + 1)
FROM contracts WHERE end_date IS NOT NULL
GROUP BY 1, 2
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "structure_month_contract_ends",
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_structure_month_contract_ends__structure_id__structures"),
        ),
        sa.PrimaryKeyConstraint(
            "structure_id", "month", name=op.f("pk_structure_month_contract_ends")
        ),
    )

    op.create_index(
        "ix_structure_month_contract_ends_month",
        "structure_month_contract_ends",
        ["month"],
        unique=False,
    )
    op.execute(TRACK_ENDS)
    op.execute(
        "CREATE TRIGGER contracts_track_structure_month_contract_ends"
        " AFTER INSERT OR UPDATE OR DELETE ON contracts"
        " FOR EACH ROW EXECUTE FUNCTION track_structure_month_contract_ends()"
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(
        "ix_structure_month_contract_ends_month", table_name="structure_month_contract_ends"
    )
    op.execute("DROP TRIGGER contracts_track_structure_month_contract_ends ON contracts")
    op.execute("DROP FUNCTION track_structure_month_contract_ends()")
    op.drop_table("structure_month_contract_ends")
