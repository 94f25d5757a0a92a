"""the prefet's CDI inclusion share on the annexe

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 17:25:36.921523

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "annexes",
        sa.Column(
            "prefet_cdi_inclusion_share",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("annexes", "prefet_cdi_inclusion_share")
