"""What the salariés routes and the demo share: a salarié registered once, the PASS
IAE set and moved by the same checks."""

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import driver_connection
from app.errors import Conflict, RulesBroken, ValidationFailed, field_problem
from app.reference.enums import EligibilityCriterion, StructureKind
from app.reference.schemas import LAST_DAY
from app.rules import RuleParameters, Violation, as_problems, refuse_blocking
from app.salaries import repository
from app.salaries.models import EligibilityDiagnostic, PassAdjustment, PassIae, Salarie
from app.salaries.nir import nir_hash
from app.salaries.rules import (
    Adjustment,
    Diagnostic,
    EarlierPass,
    PassFacts,
    adjustment_violations,
    diagnostic_valid_until,
    eligibility_violations,
    hire_diagnostic_violations,
    new_pass_violations,
    pass_iae_end,
)
from app.salaries.schemas import (
    AdjustmentCreate,
    DiagnosticCreate,
    DiagnosticCriterion,
    DiagnosticRead,
    PassIaeSet,
    SalarieCreate,
)
from app.structures import repository as structures


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
    # the structure's own record only: other structures' salariés are never looked at
    # (les-emplois, which issues PASS IAE numbers, applies the wait across structures)
    earlier = [EarlierPass(current.number, current.end_date)] if current else []
    refuse_blocking(
        new_pass_violations(
            body.number, body.start_date, earlier, body.prescriber_orientation, rules
        )
    )
    same_pass = current is not None and current.number == body.number
    # a new number is a new PASS IAE: the adjustments of the one it replaces go with it
    kept = await repository.adjustments(session, current.id) if current and same_pass else []
    end = pass_iae_end(body.start_date, [adjustment_of(a) for a in kept], rules)
    refuse_end_past_supported_days(end, "start_date")
    return await repository.set_pass(
        session,
        salarie,
        number=body.number,
        start_date=body.start_date,
        end_date=end,
        prescriber_orientation=body.prescriber_orientation,
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


def adjustment_of(record: PassAdjustment) -> Adjustment:
    return Adjustment(
        record.start_date, record.end_date, record.kind, record.reason, record.training_end_date
    )


async def adjust_pass(
    session: AsyncSession,
    salarie: Salarie,
    pass_iae: PassIae,
    body: AdjustmentCreate,
    rules: RuleParameters,
    today: dt.date,
) -> None:
    """Suspends or prolongs the (locked) salarié's PASS IAE by the rules of its motive;
    a refused request is kept with its reasons, then answered as a 422."""
    accepted = [adjustment_of(a) for a in await repository.adjustments(session, pass_iae.id)]
    kinds = await structures.kinds(await driver_connection(session), [salarie.structure_id])
    facts = PassFacts(
        start=pass_iae.start_date,
        end=pass_iae.end_date,
        accepted=accepted,
        birth_date=salarie.birth_date,
        structure_kind=kinds[salarie.structure_id],
        today=today,
    )
    asked = Adjustment(
        body.start_date, body.end_date, body.kind, body.reason, body.training_end_date
    )
    violations = adjustment_violations(asked, facts, rules)
    record = PassAdjustment(pass_id=pass_iae.id, **body.model_dump())
    if violations:
        problems = as_problems(violations)
        record.violations = [problem.model_dump() for problem in problems]
        await repository.add_refused(session, record)
        raise RulesBroken(problems, kept_as=f"refused request {record.id}")
    end = pass_iae_end(pass_iae.start_date, [*accepted, asked], rules)
    refuse_end_past_supported_days(end, "end_date")
    await repository.add_adjustment(session, record, pass_iae, end)


async def record_diagnostic(
    session: AsyncSession,
    salarie: Salarie,
    body: DiagnosticCreate,
    rules: RuleParameters,
    today: dt.date,
) -> EligibilityDiagnostic:
    """A diagnostic of the salarié, made by today, whose criteria make them eligible in
    their structure's kind."""
    if body.made_on > today:
        detail = f"a diagnostic is recorded once made: {body.made_on} is after today"
        raise ValidationFailed(detail, errors=[field_problem("made_on", detail)])
    kinds = await structures.kinds(await driver_connection(session), [salarie.structure_id])
    criteria = [c.criterion for c in body.criteria]
    refuse_blocking(eligibility_violations(kinds[salarie.structure_id], criteria, rules))
    return await repository.add_diagnostic(
        session,
        EligibilityDiagnostic(
            salarie_id=salarie.id,
            made_on=body.made_on,
            author=body.author,
            criteria=[c.value for c in criteria],
            certified=[c.criterion.value for c in body.criteria if c.certified],
        ),
    )


def diagnostic_read(diagnostic: EligibilityDiagnostic, rules: RuleParameters) -> DiagnosticRead:
    certified = set(diagnostic.certified)
    return DiagnosticRead(
        id=diagnostic.id,
        salarie_id=diagnostic.salarie_id,
        made_on=diagnostic.made_on,
        author=diagnostic.author,
        valid_until=diagnostic_valid_until(diagnostic.made_on, diagnostic.author, rules),
        criteria=[
            DiagnosticCriterion(criterion=EligibilityCriterion(c), certified=c in certified)
            for c in diagnostic.criteria
        ],
        created_at=diagnostic.created_at,
    )


async def hire_violations(
    session: AsyncSession,
    salarie: Salarie,
    kind: StructureKind,
    hired_on: dt.date,
    rules: RuleParameters,
) -> list[Violation]:
    """Whether the salarié may be hired on ``hired_on`` in a structure of ``kind``: the
    latest diagnostic made by then is valid that day and its criteria are enough (a hire
    without one is refused, L5132-3)."""
    diagnostic = await repository.diagnostic_for_hire(session, salarie.id, hired_on)
    if diagnostic is None:
        return hire_diagnostic_violations(hired_on, None, rules)
    made_by_then = diagnostic.made_on <= hired_on
    facts = Diagnostic(diagnostic.made_on, diagnostic.author) if made_by_then else None
    violations = hire_diagnostic_violations(hired_on, facts, rules)
    if made_by_then:
        criteria = [EligibilityCriterion(c) for c in diagnostic.criteria]
        violations += eligibility_violations(kind, criteria, rules)
    return violations
