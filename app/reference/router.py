import datetime as dt
from typing import Annotated

from fastapi import Query, status

from app.auth import AdminWriter, AnyCaller
from app.db import SessionDep
from app.errors import (
    Conflict,
    field_problem,
    problem_responses,
)
from app.pagination import Page, PageDep, build_page
from app.reference import repository
from app.reference.enums import StructureKind
from app.reference.models import AideAuPosteRate
from app.reference.schemas import (
    AideAuPosteRateCreate,
    AideAuPosteRateRead,
    DepartementRead,
    Enumerations,
    ReferenceHoursRead,
    RegionCode,
    RegionRead,
)
from app.routing import api_router

router = api_router(
    prefix="/v1/reference",
    tags=["reference"],
    responses=problem_responses(401, 403, 422, 429, 503),
)


@router.get("/regions", summary="The 18 régions (INSEE codes)")
async def list_regions(session: SessionDep, caller: AnyCaller, page: PageDep) -> Page[RegionRead]:
    rows = await repository.regions(session, after=page.after("regions"), limit=page.limit)
    items = [RegionRead.model_validate(row) for row in rows]
    return build_page(items, page, "regions", lambda region: [region.code])


@router.get("/departements", summary="The 101 départements (INSEE codes)")
async def list_departements(
    session: SessionDep,
    caller: AnyCaller,
    page: PageDep,
    region: Annotated[RegionCode | None, Query(description="Only this région's")] = None,
) -> Page[DepartementRead]:
    rows = await repository.departements(
        session, region_code=region, after=page.after("departements"), limit=page.limit
    )
    items = [DepartementRead.model_validate(row) for row in rows]
    return build_page(items, page, "departements", lambda departement: [departement.code])


@router.get(
    "/aide-au-poste",
    summary="The aide au poste socles per ETP, by kind and in-force date",
)
async def list_aide_au_poste_rates(
    session: SessionDep,
    caller: AnyCaller,
    page: PageDep,
    kind: Annotated[StructureKind | None, Query()] = None,
) -> Page[AideAuPosteRateRead]:
    rows = await repository.aide_au_poste_rates(
        session, kind=kind, after=page.after("aide-au-poste"), limit=page.limit
    )
    items = [AideAuPosteRateRead.model_validate(row) for row in rows]
    return build_page(items, page, "aide-au-poste", lambda rate: [rate.kind, rate.in_force_from])


@router.post(
    "/aide-au-poste",
    status_code=status.HTTP_201_CREATED,
    summary="Add a socle coming into force at a future date",
    description="Admin only. Rates already in force are immutable; a kind has one rate per date.",
    responses=problem_responses(400, 409, 413, 415),
)
async def add_aide_au_poste_rate(
    body: AideAuPosteRateCreate, session: SessionDep, caller: AdminWriter
) -> AideAuPosteRateRead:
    if body.in_force_from <= dt.date.today():
        raise Conflict(
            "only a future rate can be added",
            errors=[
                field_problem("in_force_from", "must be after today: rates in force are immutable")
            ],
        )
    rate = await repository.add_aide_au_poste_rate(session, AideAuPosteRate(**body.model_dump()))
    return AideAuPosteRateRead.model_validate(rate)


@router.get("/reference-hours", summary="Annual hours of a full-time post, by kind")
async def list_reference_hours(
    session: SessionDep, caller: AnyCaller, page: PageDep
) -> Page[ReferenceHoursRead]:
    rows = await repository.reference_hours(
        session, after=page.after("reference-hours"), limit=page.limit
    )
    items = [ReferenceHoursRead.model_validate(row) for row in rows]
    return build_page(
        items, page, "reference-hours", lambda hours: [hours.kind, hours.in_force_from]
    )


@router.get("/enums", summary="Every enumeration the API accepts, to build forms from")
async def list_enumerations(caller: AnyCaller) -> Enumerations:
    return Enumerations.all()
