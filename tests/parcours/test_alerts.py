import datetime as dt
import uuid
from typing import Any

import httpx

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure, salarie_in_parcours


def days(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


async def test_alerts_list_what_ends_soon_for_the_callers_structure(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure = await create_structure(client, admin_headers, kind="ACI")
    own = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
    )

    # a CDDI ending in 20 days, with an under-20-hours derogation ending in 10
    _, short = await salarie_in_parcours(client, own, pass_start=days(-200), entry=days(-130))
    ending = await client.post(
        f"/v1/parcours/{short['id']}/contracts",
        headers=own,
        json={"kind": "cddi", "start_date": days(-130), "end_date": days(20), "weekly_hours": "26"},
    )
    assert ending.status_code == 201, ending.text
    derogation = await client.post(
        f"/v1/parcours/{short['id']}/derogations",
        headers=own,
        json={"kind": "moins_20h_prefet", "start_date": days(-30), "end_date": days(10)},
    )
    assert derogation.status_code == 201, derogation.text

    # 700 days of CDDI: the 24-month total is near, and the PASS IAE expires in 24 days
    _, long = await salarie_in_parcours(client, own, pass_start=days(-705), entry=days(-700))
    near_limit = await client.post(
        f"/v1/parcours/{long['id']}/contracts",
        headers=own,
        json={"kind": "cddi", "start_date": days(-700), "end_date": days(10), "weekly_hours": "30"},
    )
    assert near_limit.status_code == 201, near_limit.text

    response = await client.get("/v1/alerts", headers=own, params={"within_days": 30})
    assert response.status_code == 200, response.text
    alerts = response.json()["items"]
    found = {(a["kind"], a["record_type"], a["parcours_id"]) for a in alerts}
    assert ("contract_ending", "contract", short["id"]) in found
    assert ("derogation_expiring", "derogation", short["id"]) in found
    assert ("contract_ending", "contract", long["id"]) in found
    assert ("pass_iae_expiring", "pass_iae", long["id"]) in found
    assert ("cddi_approaching_limit", "parcours", long["id"]) in found
    assert ("cddi_approaching_limit", "parcours", short["id"]) not in found
    assert [a["due_date"] for a in alerts] == sorted(a["due_date"] for a in alerts)

    narrow = await client.get("/v1/alerts", headers=own, params={"within_days": 5})
    assert narrow.json()["items"] == []

    other = await create_structure(client, admin_headers)
    stranger = bearer(await make_key(Role.structure, (Scope.read,), structure_id=other["id"]))
    assert (await client.get("/v1/alerts", headers=stranger)).json()["items"] == []
    assert len((await client.get("/v1/alerts", headers=admin_headers)).json()["items"]) >= len(
        alerts
    )
    company = bearer(await make_key(Role.company, (Scope.read,), company_id=uuid.uuid4()))
    assert (await client.get("/v1/alerts", headers=company)).status_code == 403


async def test_alerts_paginate(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure: dict[str, Any] = await create_structure(client, admin_headers)
    own = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
    )
    for _ in range(3):
        _, parcours = await salarie_in_parcours(
            client, own, pass_start=days(-200), entry=days(-130)
        )
        await client.post(
            f"/v1/parcours/{parcours['id']}/contracts",
            headers=own,
            json={
                "kind": "cddi",
                "start_date": days(-130),
                "end_date": days(3),
                "weekly_hours": "26",
            },
        )
    seen = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "within_days": 10} | (
            {"cursor": cursor} if cursor else {}
        )
        page = (await client.get("/v1/alerts", headers=own, params=params)).json()
        seen += [a["record_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 3
