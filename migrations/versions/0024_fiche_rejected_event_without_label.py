"""the fiche_salarie.rejected event carries the ASP's code, not its label: an event holds
identifiers and facts, never free text (which pseudonymisation could not reach there)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 03:20:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _function(payload: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION fiches_salarie_webhook_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'rejected' AND OLD.status IS DISTINCT FROM 'rejected' THEN
        INSERT INTO webhook_events (type, structure_id, data)
        VALUES ('fiche_salarie.rejected', NEW.structure_id, jsonb_build_object({payload}));
    END IF;
    RETURN NULL;
END;
$$
"""


WITHOUT_LABEL = (
    "'fiche_salarie_id', NEW.id, 'salarie_id', NEW.salarie_id, "
    "'structure_id', NEW.structure_id, 'asp_code', NEW.asp_code"
)


def upgrade() -> None:
    op.execute(_function(WITHOUT_LABEL))
    # the events written before, with their label
    op.execute(
        "UPDATE webhook_events SET data = data - 'asp_label' WHERE type = 'fiche_salarie.rejected'"
    )


def downgrade() -> None:
    op.execute(_function(WITHOUT_LABEL + ", 'asp_label', NEW.asp_label"))
