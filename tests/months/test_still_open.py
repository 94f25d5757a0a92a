"""Past the 10th, last month still open is an alert and a webhook, for a structure that
had contracts in force then."""

import dataclasses
import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.alerts import repository as alerts
from app.auth import Caller
from app.keys.models import Role
from app.settings import Settings
from app.webhooks.models import Event
from tests.months.test_router import contract_in
from tests.support.records import create_structure, subscribed
from tests.webhooks.test_delivery import dispatcher_for


async def still_open(session: AsyncSession, today: dt.date) -> dict[str, Any]:
    rows = await alerts.due_within(
        session, today=today, within_days=0, cddi_limit_months=24, month_close_by_day=10
    )
    return {
        str(row.structure_id): (row.month, row.due_date, row.parcours_id)
        for row in rows
        if row.kind == "month_still_open"
    }


async def test_last_month_open_after_the_10th_is_an_alert_until_it_is_closed(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    admin_headers: dict[str, str],
    session: AsyncSession,
) -> None:
    _, contract = await contract_in(client, own)  # in force from January to July 2025
    idle = await create_structure(client, admin_headers)  # no contract at all

    assert structure["id"] not in await still_open(session, dt.date(2025, 3, 10))
    due = await still_open(session, dt.date(2025, 3, 11))
    assert due[structure["id"]] == ("2025-02", dt.date(2025, 3, 10), None)
    assert idle["id"] not in due
    assert structure["id"] not in await still_open(session, dt.date(2025, 1, 11))  # none in Dec

    other = dataclasses.replace(Caller.of_role(Role.structure), structure_id=uuid.UUID(idle["id"]))
    seen = await alerts.page(
        session,
        other,
        today=dt.date(2025, 3, 11),
        within_days=0,
        cddi_limit_months=24,
        month_close_by_day=10,
        after=None,
        limit=100,
    )
    assert all(str(row.structure_id) == idle["id"] for row in seen)

    hours = f"/v1/contracts/{contract['id']}/hours/2025-02"
    assert (await client.put(hours, headers=own, json={"hours": "80"})).status_code == 200
    closing = f"/v1/structures/{structure['id']}/months/2025-02/close"
    assert (await client.post(closing, headers=own)).status_code == 200
    assert structure["id"] not in await still_open(session, dt.date(2025, 3, 11))


async def test_the_webhook_comes_once_per_structure_and_month(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    session: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
) -> None:
    await subscribed(session, "month.still_open")
    await contract_in(client, own)
    dispatcher = dispatcher_for(connection, settings)
    await dispatcher.scan_once(dt.date(2025, 4, 15))
    await dispatcher.scan_once(dt.date(2025, 4, 16))
    events = (
        await session.scalars(
            select(Event.data).where(
                Event.type == "month.still_open", Event.structure_id == structure["id"]
            )
        )
    ).all()
    assert events == [
        {"structure_id": structure["id"], "month": "2025-03", "due_date": "2025-04-10"}
    ]
