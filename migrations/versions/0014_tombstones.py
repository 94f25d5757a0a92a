"""tombstones: records gone from a synced list's view

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:41:08

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the webhook outbox (0011), tombstones are written by PostgreSQL in the transaction
# that makes a record leave a view, whichever path made the change. Each names whose
# view the record left (app/tombstones/models.py): admin keys read the deleted and
# pseudonymised ones, the others those naming their structure, company or network.
ROW = "FOR EACH ROW"

# a structure a network covers by territory (its régions and départements); negated
# with IS NOT TRUE, as a structure without a département compares as NULL
_TERRITORY = (
    "(s.region_code = ANY({n}.region_codes) OR s.departement_code = ANY({n}.departement_codes))"
)

TRIGGERS = {
    "salaries": (
        "salaries",
        "AFTER UPDATE OF pseudonymised_at",
        ROW,
        """
    IF OLD.pseudonymised_at IS NULL AND NEW.pseudonymised_at IS NOT NULL THEN
        INSERT INTO tombstones (resource, record_id, kind, structure_id)
        VALUES ('salaries', NEW.id, 'pseudonymised', NEW.structure_id);
    END IF;""",
    ),
    "indicator_objectives": (
        "indicator_objectives",
        "AFTER DELETE",
        ROW,
        """
    INSERT INTO tombstones (resource, record_id, kind, structure_id, company_id, network_id)
    VALUES ('objectives', OLD.id, 'deleted', OLD.structure_id, OLD.company_id, OLD.network_id);""",
    ),
    # statement-level, as the mission events: a bulk upsert is one INSERT ... SELECT. A
    # mission given to another structure leaves the first one's view; so do the company
    # (for the structure) and the structure (for the company) once no mission links them.
    "missions": (
        "missions",
        "AFTER UPDATE",
        "REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT",
        """
    INSERT INTO tombstones (resource, record_id, kind, structure_id)
    SELECT 'missions', b.id, 'removed', b.structure_id
    FROM before b JOIN after a ON a.id = b.id
    WHERE a.structure_id <> b.structure_id;
    INSERT INTO tombstones (resource, record_id, kind, structure_id, company_id)
    SELECT DISTINCT unlinked.resource, unlinked.record_id, 'removed',
        unlinked.structure_id, unlinked.company_id
    FROM before b JOIN after a ON a.id = b.id
    CROSS JOIN LATERAL (VALUES
        ('companies', b.company_id, b.structure_id, NULL::uuid),
        ('structures', b.structure_id, NULL::uuid, b.company_id)
    ) AS unlinked (resource, record_id, structure_id, company_id)
    WHERE a.structure_id <> b.structure_id
      AND NOT EXISTS (SELECT 1 FROM missions m
                      WHERE m.company_id = b.company_id AND m.structure_id = b.structure_id);""",
    ),
    # a network's view: its members, and the structures of its territory
    "network_members": (
        "network_members",
        "AFTER DELETE",
        ROW,
        f"""
    INSERT INTO tombstones (resource, record_id, kind, network_id)
    SELECT 'structures', s.id, 'removed', OLD.network_id
    FROM structures s JOIN networks n ON n.id = OLD.network_id
    WHERE s.id = OLD.structure_id AND {_TERRITORY.format(n="n")} IS NOT TRUE;""",
    ),
    "networks": (
        "networks",
        "AFTER UPDATE OF region_codes, departement_codes",
        ROW,
        f"""
    INSERT INTO tombstones (resource, record_id, kind, network_id)
    SELECT 'structures', s.id, 'removed', NEW.id
    FROM structures s
    WHERE {_TERRITORY.format(n="OLD")} AND {_TERRITORY.format(n="NEW")} IS NOT TRUE
      AND NOT EXISTS (SELECT 1 FROM network_members m
                      WHERE m.network_id = NEW.id AND m.structure_id = s.id);""",
    ),
    "structures": (
        "structures",
        "AFTER UPDATE OF region_code, departement_code",
        ROW,
        """
    INSERT INTO tombstones (resource, record_id, kind, network_id)
    SELECT 'structures', NEW.id, 'removed', n.id
    FROM networks n
    WHERE (OLD.region_code = ANY(n.region_codes) OR OLD.departement_code = ANY(n.departement_codes))
      AND (NEW.region_code = ANY(n.region_codes)
           OR NEW.departement_code = ANY(n.departement_codes)) IS NOT TRUE
      AND NOT EXISTS (SELECT 1 FROM network_members m
                      WHERE m.network_id = n.id AND m.structure_id = NEW.id);""",
    ),
}


def upgrade() -> None:
    op.create_table(
        "tombstones",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "resource",
            sa.Enum(
                "salaries",
                "structures",
                "companies",
                "missions",
                "objectives",
                name="synced_resource",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "deleted",
                "pseudonymised",
                "removed",
                name="tombstone_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("structure_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstones")),
    )
    op.create_index(
        "ix_tombstones_resource_deleted_at",
        "tombstones",
        ["resource", "deleted_at", "record_id"],
        unique=False,
    )
    for name, (table, timing, level, body) in TRIGGERS.items():
        op.execute(
            f"CREATE FUNCTION tombstones_of_{name}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$\nBEGIN{body}\n    RETURN NULL;\nEND $$"
        )
        op.execute(
            f"CREATE TRIGGER tombstones_of_{name} {timing} ON {table}"
            f" {level} EXECUTE FUNCTION tombstones_of_{name}()"
        )


def downgrade() -> None:
    for name, (table, *_) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER tombstones_of_{name} ON {table}")
        op.execute(f"DROP FUNCTION tombstones_of_{name}()")
    op.drop_index("ix_tombstones_resource_deleted_at", table_name="tombstones")
    op.drop_table("tombstones")
