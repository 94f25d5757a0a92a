"""Audit log (append-only) and pseudonymisation of salariés

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE_CHANGES = (
    """
CREATE FUNCTION refuse_audit_log_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$
""",
    """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_log_changes()
""",
    """
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_log_changes()
""",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column(
            "fields", postgresql.ARRAY(sa.String(length=80)), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at", "id"])
    op.create_index(op.f("ix_audit_log_key_id"), "audit_log", ["key_id", "at"])
    op.create_index(op.f("ix_audit_log_resource"), "audit_log", ["resource", "resource_id"])
    for statement in REFUSE_CHANGES:
        op.execute(statement)

    for column in ("first_name", "last_name"):
        op.alter_column("salaries", column, existing_type=sa.String(length=100), nullable=True)
    op.alter_column("salaries", "birth_date", existing_type=sa.Date(), nullable=True)
    op.add_column(
        "salaries", sa.Column("pseudonymised_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_check_constraint(
        "identity_kept_until_pseudonymised",
        "salaries",
        "pseudonymised_at IS NOT NULL"
        " OR (first_name IS NOT NULL AND last_name IS NOT NULL AND birth_date IS NOT NULL)",
    )
    op.alter_column("pass_iae", "number", existing_type=sa.String(length=20), nullable=True)


def downgrade() -> None:
    op.alter_column("pass_iae", "number", existing_type=sa.String(length=20), nullable=False)
    op.drop_constraint(
        op.f("ck_salaries__identity_kept_until_pseudonymised"), "salaries", type_="check"
    )
    op.drop_column("salaries", "pseudonymised_at")
    op.alter_column("salaries", "birth_date", existing_type=sa.Date(), nullable=False)
    for column in ("first_name", "last_name"):
        op.alter_column("salaries", column, existing_type=sa.String(length=100), nullable=False)
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION refuse_audit_log_changes()")
