"""Turning what ERPs send into mission rows, one at a time or ten thousand at once:
checks against the reference data, content hashes, and the per-item report."""

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NoReturn

import asyncpg
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.companies import repository as companies
from app.errors import (
    PROBLEM_TYPE_BASE,
    Conflict,
    FieldProblem,
    NotFound,
    Problem,
    ProblemDocument,
    RuleViolation,
    UnknownReference,
    ValidationFailed,
    field_problem,
    json_pointer,
)
from app.missions import repository
from app.missions.models import Mission
from app.missions.rules import ai_placement_violations, kind_fits, structure_may_change
from app.missions.schemas import (
    MissionCreate,
    MissionInput,
)
from app.reference import repository as reference
from app.reference.enums import StructureKind
from app.reference.rules import departement_of_commune
from app.rules import RuleParameters, refuse_blocking
from app.salaries import repository as salaries
from app.structures import repository as structures

MAX_BULK_ITEMS = 10_000
_ITEMS = TypeAdapter(list[MissionCreate])


@dataclass(frozen=True)
class References:
    """What checking missions needs from the reference tables, read once per write."""

    departement_regions: dict[str, str]
    structure_kinds: dict[uuid.UUID, StructureKind]

    @classmethod
    async def read(
        cls, connection: asyncpg.Connection, structure_ids: Iterable[uuid.UUID]
    ) -> "References":
        return cls(
            await reference.departement_regions(connection),
            await structures.kinds(connection, list(set(structure_ids))),
        )


def content_hash(mission: MissionInput) -> bytes:
    """A digest of what the company sends: equal digests, nothing to update."""
    content = mission.model_dump_json(exclude={"external_ref", "company_id"})
    return hashlib.sha256(content.encode()).digest()


def to_row(
    mission: MissionInput, external_ref: str, company_id: uuid.UUID, refs: References
) -> dict[str, Any] | list[FieldProblem]:
    """The row to write, or what is wrong with the mission against the reference data."""
    problems = []
    departement = departement_of_commune(mission.commune_code)
    if departement is None or departement not in refs.departement_regions:
        problems.append(FieldProblem(pointer="/commune_code", detail="unknown INSEE commune code"))
    structure_kind = refs.structure_kinds.get(mission.structure_id)
    if structure_kind is None:
        problems.append(FieldProblem(pointer="/structure_id", detail="no such structure"))
    elif not kind_fits(mission.kind, structure_kind):
        problems.append(
            FieldProblem(
                pointer="/kind",
                detail=f"a {mission.kind.value} mission is for an AI or an ETTI, "
                f"not an {structure_kind.value}",
            )
        )
    if problems:
        return problems
    assert departement is not None
    clause = mission.social_clause
    return {
        "company_id": company_id,
        "structure_id": mission.structure_id,
        "external_ref": external_ref,
        "title": mission.title,
        "kind": mission.kind.value,
        "sector": mission.sector.value,
        "commune_code": mission.commune_code,
        "departement_code": departement,
        "region_code": refs.departement_regions[departement],
        "start_date": mission.start_date,
        "end_date": mission.end_date,
        "planned_hours": mission.planned_hours,
        "amount_ht": mission.amount_ht,
        "social_clause": clause is not None,
        "insertion_hours_target": clause.insertion_hours_target if clause else None,
        "content_hash": content_hash(mission),
    }


def refuse(problems: Sequence[FieldProblem]) -> NoReturn:
    raise UnknownReference(
        "the mission does not fit the reference data",
        errors=[FieldProblem(pointer="/body" + p.pointer, detail=p.detail) for p in problems],
    )


async def write_mission(
    connection: asyncpg.Connection,
    mission: MissionInput,
    external_ref: str,
    company_id: uuid.UUID,
    *,
    replace: bool,
) -> repository.Written:
    """The one way a single mission is written (the API's create, upsert by reference
    and change of terms, the demo): checked against the reference data and, when it
    replaces one, against its staffing. Without ``replace``, a reference the company
    already used is a conflict naming its mission."""
    row = to_row(
        mission, external_ref, company_id, await References.read(connection, [mission.structure_id])
    )
    if isinstance(row, list):
        refuse(row)
    if replace:
        existing = await repository.current(connection, company_id, [external_ref])
        if (move := staffed_move(row, existing, at="/body")) is not None:
            raise move
    written = await repository.write(connection, [row], replace=replace)
    if external_ref in written:
        return written[external_ref]
    there = await repository.by_reference(connection, company_id, external_ref)
    assert there is not None
    if not replace:
        raise Conflict(
            f"the company's mission {external_ref} exists as {there.mission['id']}",
            errors=[field_problem("external_ref", "already used by this company")],
            extra={"existing_mission_id": str(there.mission["id"])},
        )
    return repository.Written(there, created=False)  # replayed unchanged


async def record_mission_hours(
    session: AsyncSession,
    mission: Mission,
    salarie_id: uuid.UUID,
    month: dt.date,
    hours: Decimal,
    rules: RuleParameters,
) -> list[RuleViolation]:
    """A salarié's hours on a mission in a month (its first day), for the API and the
    demo: the salarié assigned, the month within the mission, and for an AI the 480-hour
    cap with the company; the warnings kept."""
    await salaries.lock(session, salarie_id)
    if not await repository.is_assigned(session, mission.id, salarie_id):
        raise NotFound("this salarié is not assigned to this mission")
    if not mission.start_date.replace(day=1) <= month <= mission.end_date:
        raise Conflict(
            "the month is outside the mission",
            errors=[field_problem("month", "outside the mission's period", location="path")],
        )
    structure = await structures.lock(session, mission.structure_id)
    company = await companies.lock(session, mission.company_id)
    assert structure is not None
    assert company is not None
    placements = await repository.placements_with_company(
        session, salarie_id, mission.company_id, except_mission=mission.id, except_month=month
    )
    is_ai = structure.kind is StructureKind.AI
    lifted = await structures.cap_derogations(session, structure.id) if is_ai else []
    warnings = refuse_blocking(
        ai_placement_violations(
            structure_kind=structure.kind,
            company_category=company.category,
            month=month,
            hours=hours,
            other_months=placements,
            cap_lifted=[(d.start_date, d.end_date) for d in lifted],
            p=rules,
        )
    )
    await repository.set_hours(session, mission.id, salarie_id, month, hours)
    return warnings


# --- bulk ---------------------------------------------------------------------------


@dataclass(slots=True)
class Item:
    index: int
    external_ref: str | None
    row: dict[str, Any] | None = None
    problem: ProblemDocument | None = None


def parse_items(raw_items: Sequence[object]) -> list[tuple[Item, MissionCreate | None]]:
    """Validates a batch: in one call when every item is valid (the usual case), else
    again without the items that failed, which are reported with their problems."""
    problems: dict[int, list[FieldProblem]] = {}
    try:
        missions = _ITEMS.validate_python(raw_items)
    except ValidationError as error:
        for found in error.errors():
            index, *location = found["loc"]
            problems.setdefault(int(index), []).append(
                FieldProblem(pointer=json_pointer([index, *location]), detail=found["msg"])
            )
        if not isinstance(raw_items, list) or any(not isinstance(i, int) for i in problems):
            raise
        kept = [raw for index, raw in enumerate(raw_items) if index not in problems]
        missions = _ITEMS.validate_python(kept)
    valid = iter(missions)
    parsed: list[tuple[Item, MissionCreate | None]] = []
    for index, raw in enumerate(raw_items):
        if index in problems:
            ref = raw.get("external_ref") if isinstance(raw, dict) else None
            problem = _document(
                ValidationFailed("the item has invalid fields", errors=problems[index])
            )
            parsed.append(
                (Item(index, ref if isinstance(ref, str) else None, problem=problem), None)
            )
        else:
            mission = next(valid)
            parsed.append((Item(index, mission.external_ref), mission))
    return parsed


async def bulk(
    connection: asyncpg.Connection,
    raw_items: Sequence[object],
    *,
    company_id: uuid.UUID,
    mode: Literal["atomic", "partial"],
    dry_run: bool,
) -> dict[str, Any]:
    """The batch's report, as the JSON document of :class:`BulkReport` (built as plain
    data: ten thousand items are answered without a model object each)."""
    parsed = parse_items(raw_items)
    valid = [(item, mission) for item, mission in parsed if mission is not None]
    refs = await References.read(connection, [mission.structure_id for _, mission in valid])
    seen: set[str] = set()
    for item, mission in valid:
        if mission.external_ref in seen:
            item.problem = _problem(
                item.index, "/external_ref", "this external_ref is already in the batch"
            )
            continue
        seen.add(mission.external_ref)
        if mission.company_id not in (None, company_id):
            item.problem = _problem(item.index, "/company_id", "a batch is for one company")
            continue
        row = to_row(mission, mission.external_ref, company_id, refs)
        if isinstance(row, list):
            item.problem = _problem(
                item.index, row[0].pointer, row[0].detail, more=row[1:], kind=UnknownReference
            )
        else:
            item.row = row
    items = [item for item, _ in parsed]
    existing = await repository.current(
        connection, company_id, [item.row["external_ref"] for item in items if item.row is not None]
    )
    for item in items:
        if item.row is None:
            continue
        if (move := staffed_move(item.row, existing, at=f"/{item.index}")) is not None:
            item.problem, item.row = _document(move), None
    rows = [item.row for item in items if item.row is not None]
    has_errors = len(rows) < len(items)
    write = not dry_run and not (mode == "atomic" and has_errors)
    outcomes = await _outcomes(connection, rows, existing, write=write)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    results = []
    for item in items:
        mission_id, outcome = (
            (None, "error") if item.row is None else outcomes[item.row["external_ref"]]
        )
        counts[outcome] += 1
        results.append(
            {
                "index": item.index,
                "external_ref": item.external_ref,
                "outcome": outcome,
                "id": mission_id,
                "problem": item.problem.model_dump(exclude_none=True) if item.problem else None,
            }
        )
    return {"mode": mode, "dry_run": dry_run, "written": write, "counts": counts, "items": results}


def staffed_move(
    row: dict[str, Any], existing: dict[str, repository.Existing], *, at: str
) -> Conflict | None:
    """The problem of a write moving a staffed mission to another structure, if it does;
    its pointer under ``at`` (the body, or an item of a batch)."""
    found = existing.get(row["external_ref"])
    if found is None:
        return None
    if structure_may_change(found.staffed, found.structure_id, row["structure_id"]):
        return None
    return Conflict(
        "salariés work on this mission: it stays with its structure (make a new mission)",
        errors=[FieldProblem(pointer=f"{at}/structure_id", detail="the mission is staffed")],
    )


async def _outcomes(
    connection: asyncpg.Connection,
    rows: Sequence[dict[str, Any]],
    existing: dict[str, repository.Existing],
    *,
    write: bool,
) -> dict[str, tuple[uuid.UUID | None, Any]]:
    """For each row: its mission id (None when not written) and created, updated or
    unchanged, as the write did it or would do it."""
    refs = [row["external_ref"] for row in rows]
    if not write:
        return {
            row["external_ref"]: _predicted(row, existing.get(row["external_ref"])) for row in rows
        }
    written = await repository.write(connection, rows, replace=True)
    outcomes: dict[str, tuple[uuid.UUID | None, Any]] = {}
    for ref in refs:
        if ref in written:
            mission_id, created = written[ref].shown.mission["id"], written[ref].created
            outcomes[ref] = (mission_id, "created" if created else "updated")
        else:
            outcomes[ref] = (existing[ref].id, "unchanged")
    return outcomes


def _predicted(
    row: dict[str, Any], existing: repository.Existing | None
) -> tuple[uuid.UUID | None, Any]:
    if existing is None:
        return None, "created"
    changed = existing.content_hash != row["content_hash"]
    return existing.id, "updated" if changed else "unchanged"


def _problem(
    index: int,
    pointer: str,
    detail: str,
    *,
    more: Sequence[FieldProblem] = (),
    kind: type[ValidationFailed] = ValidationFailed,
) -> ProblemDocument:
    errors = [
        FieldProblem(pointer=f"/{index}{p.pointer}", detail=p.detail)
        for p in [FieldProblem(pointer=pointer, detail=detail), *more]
    ]
    return _document(kind(detail, errors=errors))


def _document(problem: Problem) -> ProblemDocument:
    return ProblemDocument(
        type=PROBLEM_TYPE_BASE + problem.slug,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        errors=problem.errors or None,
    )
