import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.alerts import repository
from app.auth import PersonalReader
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageDep, build_page
from app.routing import api_router

router = api_router(
    prefix="/v1/alerts", tags=["alerts"], responses=problem_responses(401, 403, 422, 429, 503)
)

AlertKind = Literal[
    "contract_ending",
    "pass_iae_expiring",
    "derogation_expiring",
    "cddi_approaching_limit",
    "fiche_salarie_rejected",
    "month_still_open",
]


class AlertRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "contract_ending",
                    "due_date": "2025-07-05",
                    "record_type": "contract",
                    "record_id": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
                    "parcours_id": "8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a",
                    "salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
                    "month": None,
                }
            ]
        },
    )

    kind: AlertKind
    due_date: dt.date = Field(
        description="When it ends, expires or reaches the limit (a rejected fiche: the day "
        "of the rejection)"
    )
    record_type: Literal[
        "contract", "pass_iae", "derogation", "parcours", "fiche_salarie", "structure_month"
    ] = Field(description="`structure_month`: `record_id` is the structure, `month` the month")
    record_id: uuid.UUID
    parcours_id: uuid.UUID | None = Field(description="null for a month still open")
    salarie_id: uuid.UUID | None = Field(description="null for a month still open")
    structure_id: uuid.UUID
    month: str | None = Field(
        description="The month still open (YYYY-MM); null for the other kinds"
    )


@router.get(
    "",
    summary="What needs attention soon",
    description="Contracts ending, PASS IAE expiring, derogations expiring and CDDI nearing "
    "their total limit within `within_days`, for parcours under way, and the fiches "
    "salarié the ASP rejected until they are sent again, and, past the 10th "
    "(`JALON_RULES__MONTH_CLOSE_BY_DAY`), last month when it had contracts in force and is "
    "still open; soonest first. A structure key: its own; admin: all.",
)
async def list_alerts(
    session: SessionDep,
    caller: PersonalReader,
    page: PageDep,
    request: Request,
    within_days: Annotated[int, Query(ge=0, le=366)] = 30,
) -> Page[AlertRead]:
    rows = await repository.page(
        session,
        caller,
        today=dt.date.today(),
        within_days=within_days,
        cddi_limit_months=request.app.state.settings.rules.cddi_max_months,
        month_close_by_day=request.app.state.settings.rules.month_close_by_day,
        after=page.after("alerts"),
        limit=page.limit,
    )
    items = [AlertRead.model_validate(row) for row in rows]
    return build_page(items, page, "alerts", lambda a: (a.due_date, a.kind, a.record_id))
