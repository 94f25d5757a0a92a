import csv
import io
import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response, status
from fastapi import Path as PathParam

from app.auth import Caller, Reader, Writer, require
from app.db import DatabaseDep, SessionDep
from app.errors import (
    Forbidden,
    ValidationFailed,
    field_problem,
    found,
    problem_responses,
)
from app.indicators import repository, service
from app.indicators.catalogue import CATALOGUE, Dimension, ExitCounting, Family
from app.indicators.models import IndicatorObjective, ScopeKind
from app.indicators.perturbation import Protection, seed_of
from app.indicators.queries import Filters
from app.indicators.schemas import (
    Dashboard,
    DashboardLine,
    IndicatorObjectiveCreate,
    IndicatorObjectiveRead,
    IndicatorRead,
    IndicatorValues,
    YearMonth,
)
from app.keys.models import Role
from app.keys.models import Scope as KeyScope
from app.pagination import Page, PageDep
from app.reference.enums import ActivitySector, StructureKind
from app.reference.schemas import DepartementCode, RegionCode, UpdatedSince
from app.routing import api_router
from app.rules import rules_of
from app.tombstones.models import SyncedResource
from app.tombstones.paging import sync_page, tombstones
from app.tombstones.schemas import SyncPage

# the catalogue's codes, declared as the enumeration they are (GET /v1/indicators lists them)
IndicatorCode = Annotated[
    str, PathParam(description="An indicator's code", json_schema_extra={"enum": sorted(CATALOGUE)})
]

router = api_router(
    prefix="/v1/indicators",
    tags=["indicators"],
    responses=problem_responses(401, 403, 422, 429, 503),
)
objectives_router = api_router(
    prefix="/v1/objectives",
    tags=["indicators"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
OBJECTIVES = "objectives"
GroupBy = Annotated[
    list[Dimension], Query(description="Up to two, e.g. group_by=year&group_by=region")
]
CSV = "text/csv"


@router.get("", summary="The catalogue of indicators")
async def list_indicators(caller: Reader) -> Page[IndicatorRead]:
    items = [
        IndicatorRead(**{**vars(i), "dimensions": sorted(i.dimensions, key=list(Dimension).index)})
        for i in CATALOGUE.values()
    ]
    return Page[IndicatorRead](items=items, next_cursor=None)


@router.get(
    "/dashboard",
    summary="The tableau de suivi: each objective, its target and what was achieved",
    description="The caller's objectives whose period meets the given one, each measured over "
    "its own scope and period. Admin keys may narrow to one structure.",
)
async def read_dashboard(
    session: SessionDep,
    caller: Reader,
    request: Request,
    period_from: Annotated[YearMonth, Query(alias="from")],
    period_to: Annotated[YearMonth, Query(alias="to")],
    structure: Annotated[uuid.UUID | None, Query()] = None,
) -> Dashboard:
    start, end = service.month_bounds(period_from, period_to)
    lines = []
    for objective in await repository.overlapping(
        session, caller, start, end, structure_id=structure
    ):
        found = CATALOGUE[objective.indicator]
        scope, filters = service.scope_of_objective(objective)
        values = await service.compute(
            session,
            found,
            start=objective.period_start,
            end=objective.period_end,
            group_by=[],
            scope=scope,
            filters=filters,
            protection=_protection(caller, request),
            exit_rule=service.exit_rule(rules_of(request)),
        )
        row = values.rows[0] if values.rows else None
        achieved = row.value if row else None
        lines.append(
            DashboardLine(
                objective=IndicatorObjectiveRead.model_validate(objective),
                label_fr=found.label_fr,
                unit=found.unit,
                target=objective.target_value,
                achieved=achieved,
                gap=None if achieved is None else achieved - objective.target_value,
                suppressed=bool(row and row.suppressed),
            )
        )
    return Dashboard(period_start=start, period_end=end, lines=lines)


@router.get(
    "/{code}",
    response_model=IndicatorValues,
    summary="An indicator's values, grouped and filtered",
    description="From the caller's records only: a structure key its own, a company key its "
    "missions' (mission indicators only), a network key its scope. For company and network "
    "keys, a group with fewer salariés than the small-cell threshold is hidden and flagged. "
    "`Accept: text/csv` gives the same rows as CSV (`decimal=comma` for French spreadsheets).",
    responses={
        200: {
            "content": {
                "application/json": {},
                CSV: {
                    "schema": {
                        "type": "string",
                        "description": "A header line (the dimensions, value, numerator, "
                        "denominator, suppressed), then one line per row",
                    }
                },
            }
        }
    },
)
async def read_indicator_values(
    code: IndicatorCode,
    session: SessionDep,
    caller: Reader,
    request: Request,
    period_from: Annotated[YearMonth, Query(alias="from")],
    period_to: Annotated[YearMonth, Query(alias="to")],
    group_by: GroupBy = [],  # noqa: B006
    region: Annotated[RegionCode | None, Query()] = None,
    departement: Annotated[DepartementCode | None, Query()] = None,
    kind: Annotated[StructureKind | None, Query()] = None,
    structure: Annotated[uuid.UUID | None, Query()] = None,
    company: Annotated[uuid.UUID | None, Query()] = None,
    sector: Annotated[ActivitySector | None, Query()] = None,
    decimal: Annotated[Literal["point", "comma"], Query(description="CSV decimal mark")] = "point",
    exit_counting: Annotated[
        ExitCounting,
        Query(
            description="The exit indicators (`sorties`, `taux_sorties_dynamiques`, "
            "`taux_emploi_durable`): `etat`, the state's rule, counts the exits of parcours "
            "long enough to judge (ACI, EI, EITI: 3 months in the structure; AI, ETTI: 150 "
            "hours worked; settings), `toutes` every exit"
        ),
    ] = ExitCounting.etat,
) -> IndicatorValues | Response:
    found = service.indicator(code)
    service.check_dimensions(found, group_by)
    start, end = service.widen(*service.month_bounds(period_from, period_to), group_by)
    filters = Filters(
        region_code=region,
        departement_code=departement,
        structure_kind=kind.value if kind else None,
        structure_id=structure,
        company_id=company if found.family is Family.mission else None,
        sector=sector.value if sector and found.family is Family.mission else None,
    )
    values = await service.compute(
        session,
        found,
        start=start,
        end=end,
        group_by=group_by,
        scope=service.scope_of(caller, found),
        filters=filters,
        protection=_protection(caller, request),
        exit_rule=service.exit_rule(rules_of(request), exit_counting),
    )
    if CSV in request.headers.get("accept", ""):
        return Response(_csv(values, comma=decimal == "comma"), media_type=f"{CSV}; charset=utf-8")
    return values


@objectives_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Set an objective",
    description="Admin: any scope. A structure, company or network key: objectives on itself.",
    responses=problem_responses(400, 409, 413, 415),
)
async def create_indicator_objective(
    body: IndicatorObjectiveCreate, session: SessionDep, caller: Writer
) -> IndicatorObjectiveRead:
    found = service.indicator(body.indicator)
    own = {
        Role.structure: (ScopeKind.structure, body.structure_id, caller.structure_id),
        Role.company: (ScopeKind.company, body.company_id, caller.company_id),
        Role.network: (ScopeKind.network, body.network_id, caller.network_id),
    }.get(caller.role)
    if own is not None and (body.scope_kind is not own[0] or own[1] != own[2]):
        raise Forbidden(f"a {caller.role.value} key sets objectives on itself only")
    if body.scope_kind is ScopeKind.company and found.family is not Family.mission:
        raise ValidationFailed(
            "a company objective is on a mission indicator",
            errors=[field_problem("indicator", "not computed on missions")],
        )
    start, end = service.month_bounds(body.period_start, body.period_end)
    values = body.model_dump(exclude={"period_start", "period_end"})
    objective = await repository.add(
        session, IndicatorObjective(**values, period_start=start, period_end=end)
    )
    return IndicatorObjectiveRead.model_validate(objective)


@objectives_router.get(
    "",
    summary="List objectives",
    description="Admin: all; others: their own. An objective never changes once set (it is "
    "deleted and set again): the list is ordered by `(created_at, id)`, which `updated_since` "
    "reads as its last change, and deleted objectives come as tombstones in `deleted`.",
)
async def list_indicator_objectives(
    session: SessionDep,
    database: DatabaseDep,
    caller: Reader,
    page: PageDep,
    updated_since: UpdatedSince = None,
) -> SyncPage[IndicatorObjectiveRead]:
    rows = await repository.page(
        session, caller, set_since=updated_since, after=page.after(OBJECTIVES), limit=page.limit
    )
    items = [IndicatorObjectiveRead.model_validate(row) for row in rows]
    gone = await tombstones(
        database, caller, SyncedResource.objectives, updated_since, page, OBJECTIVES
    )
    return sync_page(items, gone, page, OBJECTIVES, lambda o: (o.created_at, o.id))


@objectives_router.get("/{objective_id}", summary="Read an objective")
async def read_indicator_objective(
    objective_id: uuid.UUID, session: SessionDep, caller: Reader
) -> IndicatorObjectiveRead:
    return IndicatorObjectiveRead.model_validate(await _visible(session, caller, objective_id))


@objectives_router.delete(
    "/{objective_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an objective"
)
async def delete_indicator_objective(
    objective_id: uuid.UUID,
    session: SessionDep,
    caller: Annotated[Caller, Depends(require(scope=KeyScope.write))],
) -> None:
    await repository.delete(session, await _visible(session, caller, objective_id))


async def _visible(
    session: SessionDep, caller: Caller, objective_id: uuid.UUID
) -> IndicatorObjective:
    return found(
        await repository.get_visible(session, caller, objective_id), "no objective with this id"
    )


def _protection(caller: Caller, request: Request) -> Protection | None:
    """Company and network keys read aggregates of other people's data: small groups
    hidden, counts perturbed. Admin and structure keys read exact figures."""
    if caller.role in (Role.company, Role.network):
        threshold: int = request.app.state.settings.small_cell_threshold
        return Protection(threshold, seed_of(request.app.state.nir_key))
    return None


def _csv(values: IndicatorValues, *, comma: bool) -> str:
    def number(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace(".", ",") if comma else text

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\n")
    names = [d.value for d in values.group_by]
    writer.writerow([*names, "value", "numerator", "denominator", "suppressed"])
    for row in values.rows:
        writer.writerow(
            [
                *(getattr(row.dimensions, name) for name in names),
                number(row.value),
                number(row.numerator),
                number(row.denominator),
                "true" if row.suppressed else "false",
            ]
        )
    return out.getvalue()
