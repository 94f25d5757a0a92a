import datetime as dt
import uuid
from typing import Annotated

from fastapi import Query, Response

from app.auth import PersonalReader, PersonalWriter, refuse_other_structure
from app.db import SessionDep
from app.errors import ValidationFailed, field_problem, problem_responses
from app.months import service
from app.months.schemas import MonthIncompleteProblem, MonthRead, MonthsRead
from app.reference.schemas import MONTH_PATTERN, MonthInPath
from app.routing import api_router

router = api_router(
    prefix="/v1/structures",
    tags=["months"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
CSV = "text/csv"
MAX_MONTHS = 60


@router.get(
    "/{structure_id}/months",
    summary="Each month's state: open, closed or corrected",
    description=f"From `from` to `to`, at most {MAX_MONTHS} months. Admin and the "
    "structure's own keys.",
)
async def list_months(
    structure_id: uuid.UUID,
    session: SessionDep,
    caller: PersonalReader,
    period_from: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN, examples=["2025-01"])],
    period_to: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN, examples=["2025-12"])],
) -> MonthsRead:
    refuse_other_structure(caller, structure_id, service.NO_STRUCTURE)
    first, last = _first_day(period_from), _first_day(period_to)
    spanned = (last.year - first.year) * 12 + last.month - first.month + 1
    if not 1 <= spanned <= MAX_MONTHS:
        detail = f"from 1 to {MAX_MONTHS} months, `to` not before `from`"
        raise ValidationFailed(detail, errors=[field_problem("to", detail, location="query")])
    return MonthsRead(items=await service.months(session, structure_id, first, last))


@router.post(
    "/{structure_id}/months/{month}/close",
    summary="Close a month",
    description="Every contract in force in the month has its hours (0 is an answer), or the "
    "close is a 422 `month-incomplete` listing each contract without them. Once closed, the "
    "month's hours change only after a reopening (409 `month-closed`). Closing a closed "
    "month changes nothing.",
    responses={**problem_responses(409), **problem_responses(422, schema=MonthIncompleteProblem)},
)
async def close_month(
    structure_id: uuid.UUID, month: MonthInPath, session: SessionDep, caller: PersonalWriter
) -> MonthRead:
    refuse_other_structure(caller, structure_id, service.NO_STRUCTURE)
    return await service.close(session, structure_id, _first_day(month))


@router.post(
    "/{structure_id}/months/{month}/reopen",
    summary="Reopen a closed month for a correction",
    description="An audited write: the month is `open` again, its hours may change, and "
    "closing it once more makes it `corrected`. A month that is open is a 409.",
    responses=problem_responses(409),
)
async def reopen_month(
    structure_id: uuid.UUID, month: MonthInPath, session: SessionDep, caller: PersonalWriter
) -> MonthRead:
    refuse_other_structure(caller, structure_id, service.NO_STRUCTURE)
    return await service.reopen(session, structure_id, _first_day(month))


@router.get(
    "/{structure_id}/months/{month}/export",
    summary="A closed month as CSV: one line per salarié and contract",
    description="Columns: `salarie_id`, `parcours_id`, `contract_id`, `contract_kind`, "
    "`hours` (the month's, 0.00 when none), `etp_share` (the hours over a twelfth of the "
    "reference annual hours of the structure's kind: 1.0000 is a full-time month), "
    "`exit_date`, `exit_motif` and `exit_category` (when the parcours exited that month, "
    "empty otherwise). UTF-8, comma-separated, CRLF line ends (RFC 4180). A month that is "
    "not closed is a 409.",
    responses={
        200: {"content": {CSV: {"schema": {"type": "string"}}}},
        **problem_responses(409),
    },
    response_class=Response,
)
async def export_month(
    structure_id: uuid.UUID, month: MonthInPath, session: SessionDep, caller: PersonalReader
) -> Response:
    refuse_other_structure(caller, structure_id, service.NO_STRUCTURE)
    body = await service.export_csv(session, structure_id, _first_day(month))
    return Response(
        body,
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="jalon-{month}.csv"'},
    )


def _first_day(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")
