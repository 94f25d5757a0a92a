"""the aid by funder: the conseil départemental's share of an annexe

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 17:45:15.795899

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "annexes",
        sa.Column(
            "conseil_departemental_percent",
            sa.Numeric(precision=5, scale=2),
            server_default="0",
            nullable=False,
        ),
    )
    op.create_check_constraint(
        "conseil_departemental_percentage",
        "annexes",
        "conseil_departemental_percent >= 0 AND conseil_departemental_percent <= 100",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_annexes__conseil_departemental_percentage"), "annexes", type_="check"
    )
    op.drop_column("annexes", "conseil_departemental_percent")
