"""an annexe records its posts (postes conventionnés); its ETP conventionnés are
computed from them: posts x months covered / 12

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 02:00:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column always held the posts funded while the annexe runs (the aid and the
# indicators prorate it by the days covered): it is named for what it is.


def upgrade() -> None:
    op.alter_column("annexes", "etp_conventionnes", new_column_name="posts")
    op.drop_constraint(op.f("ck_annexes__etp_positive"), "annexes", type_="check")
    op.create_check_constraint(op.f("ck_annexes__posts_positive"), "annexes", "posts > 0")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_annexes__posts_positive"), "annexes", type_="check")
    op.alter_column("annexes", "posts", new_column_name="etp_conventionnes")
    op.create_check_constraint(op.f("ck_annexes__etp_positive"), "annexes", "etp_conventionnes > 0")
