"""monthly closing: a structure's closed months, and the trigger that keeps their hours

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 17:49:28.435908

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every write of a contract's hours, whichever path makes it (the fast route, a session,
# the demo), waits for a closing of its month under way (the same advisory lock, shared
# here, exclusive in app/months/repository.py) and is refused once the month is closed:
# a check_violation naming month_closed, which the API answers as a 409 month-closed.
REFUSE_CLOSED = """
CREATE FUNCTION refuse_hours_of_a_closed_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_contract uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.contract_id ELSE NEW.contract_id END;
    row_month date := CASE WHEN TG_OP = 'DELETE' THEN OLD.month ELSE NEW.month END;
    structure uuid;
BEGIN
    SELECT structure_id INTO structure FROM contracts WHERE id = row_contract;
    PERFORM pg_advisory_xact_lock_shared(
        hashtextextended(concat(structure::text, row_month::text), 0));
    IF EXISTS (SELECT 1 FROM structure_months
               WHERE structure_id = structure AND month = row_month AND state <> 'open') THEN
        RAISE EXCEPTION 'the month is closed' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'month_closed';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "structure_months",
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "closed",
                "corrected",
                name="month_state",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrections", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "extract(day from month) = 1", name=op.f("ck_structure_months__first_day")
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_structure_months__structure_id__structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("structure_id", "month", name=op.f("pk_structure_months")),
    )
    op.execute(REFUSE_CLOSED)
    op.execute(
        "CREATE TRIGGER monthly_hours_refuse_closed_month"
        " BEFORE INSERT OR UPDATE OR DELETE ON monthly_hours"
        " FOR EACH ROW EXECUTE FUNCTION refuse_hours_of_a_closed_month()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER monthly_hours_refuse_closed_month ON monthly_hours")
    op.execute("DROP FUNCTION refuse_hours_of_a_closed_month()")
    op.drop_table("structure_months")
