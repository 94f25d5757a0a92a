"""Closing, reopening and exporting a structure's month: the repository's facts, the
rules, and the answers."""

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, MonthIncomplete, found
from app.months import repository
from app.months.models import StructureMonth
from app.months.rules import MonthState, missing_before_closing, month_bounds, state_after_closing
from app.months.schemas import MonthRead
from app.rules import add_months
from app.structures import repository as structures

NO_STRUCTURE = "no structure with this id"
# the export's columns, in order (the README describes each)
EXPORT_COLUMNS = (
    "salarie_id",
    "parcours_id",
    "contract_id",
    "contract_kind",
    "hours",
    "etp_share",
    "exit_date",
    "exit_motif",
    "exit_category",
)


def label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def month_read(month: dt.date, record: StructureMonth | None) -> MonthRead:
    if record is None:
        return MonthRead(
            month=label(month),
            state=MonthState.open,
            closed_at=None,
            reopened_at=None,
            corrections=0,
        )
    return MonthRead(
        month=label(month),
        state=record.state,
        closed_at=record.closed_at,
        reopened_at=record.reopened_at,
        corrections=record.corrections,
    )


async def close(session: AsyncSession, structure_id: uuid.UUID, month: dt.date) -> MonthRead:
    """Closes the month once every contract in force has its hours; refused with the
    list of what is missing. Closing a closed month changes nothing."""
    current = await _locked(session, structure_id, month)
    if current is not None and current.state is not MonthState.open:
        return month_read(month, current)
    first, last = month_bounds(month)
    missing = missing_before_closing(
        await repository.contracts_in_force(session, structure_id, first, last)
    )
    if missing:
        raise MonthIncomplete(
            f"{len(missing)} contract(s) in force in {label(month)} have no hours recorded",
            extra={
                "missing": [
                    {
                        "contract_id": str(m.contract_id),
                        "parcours_id": str(m.parcours_id),
                        "salarie_id": str(m.salarie_id),
                        "what": m.what,
                    }
                    for m in missing
                ]
            },
        )
    state = state_after_closing(current.corrections if current else 0)
    return month_read(month, await repository.set_state(session, structure_id, month, state))


async def reopen(session: AsyncSession, structure_id: uuid.UUID, month: dt.date) -> MonthRead:
    """Reopens a closed month for a correction (an audited write): its hours may change
    until it is closed again, as `corrected`."""
    current = await _locked(session, structure_id, month)
    if current is None or current.state is MonthState.open:
        raise Conflict(f"{label(month)} is open: there is nothing to reopen")
    written = await repository.set_state(
        session, structure_id, month, MonthState.open, reopening=True
    )
    return month_read(month, written)


async def _locked(
    session: AsyncSession, structure_id: uuid.UUID, month: dt.date
) -> StructureMonth | None:
    """The month's record (None: never closed), once no hours write of it is under way."""
    found(await structures.lock(session, structure_id), NO_STRUCTURE)
    await repository.lock_for_closing(session, structure_id, month)
    return await repository.month_of(session, structure_id, month)


async def months(
    session: AsyncSession, structure_id: uuid.UUID, first: dt.date, last: dt.date
) -> list[MonthRead]:
    recorded = {
        m.month: m for m in await repository.months_between(session, structure_id, first, last)
    }
    result, month = [], first
    while month <= last:
        result.append(month_read(month, recorded.get(month)))
        month = add_months(month, 1)
    return result


async def export_csv(session: AsyncSession, structure_id: uuid.UUID, month: dt.date) -> str:
    """The closed month's lines, one per salarié and contract in force (RFC 4180)."""
    current = await repository.month_of(session, structure_id, month)
    if current is None or current.state is MonthState.open:
        raise Conflict(f"{label(month)} is not closed: close it to export it")
    first, last = month_bounds(month)
    rows = await repository.export_rows(session, structure_id, first, last)
    return _csv(rows, first, last)


def _csv(rows: Sequence[object], first: dt.date, last: dt.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        values = row._mapping  # type: ignore[attr-defined]
        exited = values["exit_date"] is not None and first <= values["exit_date"] <= last
        writer.writerow(
            [
                values["salarie_id"],
                values["parcours_id"],
                values["contract_id"],
                _text(values["kind"]),
                f"{values['hours']:.2f}",
                "" if values["etp_share"] is None else f"{values['etp_share']:.4f}",
                values["exit_date"].isoformat() if exited else "",
                _text(values["exit_motif"]) if exited else "",
                _text(values["exit_category"]) if exited else "",
            ]
        )
    return out.getvalue()


def _text(value: object) -> str:
    return str(getattr(value, "value", value) or "")
