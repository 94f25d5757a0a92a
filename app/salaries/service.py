"""What the salariés routes and the demo share: a salarié registered once, the PASS
IAE set and moved by the same checks."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, field_problem
from app.reference.schemas import LAST_DAY
from app.rules import RuleParameters
from app.salaries import repository
from app.salaries.models import PassIae, Salarie
from app.salaries.nir import nir_hash
from app.salaries.rules import Adjustment, pass_iae_end
from app.salaries.schemas import PassIaeSet, SalarieCreate


async def register_salarie(
    session: AsyncSession, structure_id: uuid.UUID, body: SalarieCreate, nir_key: bytes | None
) -> Salarie:
    """A new salarié of the structure: the NIR kept as a keyed hash only (with the
    instance's key; None where no NIR is sent, as in the demo), and the same NIR, or
    the same names and birth date, in the structure refused (409)."""
    hashed = None
    if body.nir:
        assert nir_key is not None, "a NIR is hashed with the instance's key"
        hashed = nir_hash(nir_key, body.nir)
    await refuse_duplicate(
        session, structure_id, hashed, body.first_name, body.last_name, body.birth_date
    )
    values = body.model_dump(exclude={"nir", "structure_id"}) | {
        "structure_id": structure_id,
        "nir_hash": hashed,
    }
    return await repository.create(session, values)


async def set_pass(
    session: AsyncSession, salarie: Salarie, body: PassIaeSet, rules: RuleParameters
) -> PassIae:
    """Creates or replaces the (locked) salarié's PASS IAE: its number unique in the
    structure, its end moved by the adjustments it already has."""
    if await repository.pass_number_taken(session, salarie, body.number):
        raise Conflict(
            "another salarié of this structure holds this PASS IAE number",
            errors=[field_problem("number", "held by another salarié of this structure")],
        )
    current = await repository.pass_of(session, salarie.id)
    kept = await repository.adjustments(session, current.id) if current else []
    end = pass_iae_end(body.start_date, [Adjustment(a.start_date, a.end_date) for a in kept], rules)
    refuse_end_past_supported_days(end, "start_date")
    return await repository.set_pass(
        session, salarie, number=body.number, start_date=body.start_date, end_date=end
    )


async def refuse_duplicate(
    session: AsyncSession,
    structure_id: uuid.UUID,
    hashed: bytes | None,
    first_name: str | None,
    last_name: str | None,
    birth_date: dt.date | None,
    *,
    other_than: uuid.UUID | None = None,
) -> None:
    if first_name is None or last_name is None or birth_date is None:
        return  # no identity left to compare: pseudonymised
    existing = await repository.duplicate_of(
        session,
        structure_id,
        nir_hash=hashed,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        other_than=other_than,
    )
    if existing is not None:
        raise Conflict(
            f"this salarié is already registered in the structure as {existing.id}",
            extra={"existing_salarie_id": str(existing.id)},
        )


def refuse_end_past_supported_days(end: dt.date, field: str) -> None:
    if end > LAST_DAY:
        detail = f"the PASS IAE would end on {end}, after {LAST_DAY}"
        raise ValidationFailed(detail, errors=[field_problem(field, detail)])
