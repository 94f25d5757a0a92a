"""A structure closes its months: every contract in force has its hours first; a
closed month's hours change only after an audited reopening; its export."""

import csv
import io
from typing import Any

import httpx

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure, salarie_in_parcours


async def contract_in(
    client: httpx.AsyncClient, own: dict[str, str], **terms: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    _, parcours = await salarie_in_parcours(client, own, entry="2025-01-06")
    signed = await client.post(
        f"/v1/parcours/{parcours['id']}/contracts",
        headers=own,
        json={
            "kind": "cddi",
            "start_date": "2025-01-06",
            "end_date": "2025-07-05",
            "weekly_hours": "26",
        }
        | terms,
    )
    assert signed.status_code == 201, signed.text
    return parcours, signed.json()


async def test_closing_needs_every_contracts_hours_then_holds_them(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    admin_headers: dict[str, str],
) -> None:
    months = f"/v1/structures/{structure['id']}/months"
    parcours, first = await contract_in(client, own)
    _, second = await contract_in(client, own)
    hours = f"/v1/contracts/{first['id']}/hours/2025-02"
    assert (await client.put(hours, headers=own, json={"hours": "100"})).status_code == 200

    refused = await client.post(f"{months}/2025-02/close", headers=own)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/month-incomplete")
    assert [(m["contract_id"], m["what"]) for m in refused.json()["missing"]] == [
        (second["id"], "hours")
    ]
    other = f"/v1/contracts/{second['id']}/hours/2025-02"
    assert (await client.put(other, headers=own, json={"hours": "0"})).status_code == 200
    closed = await client.post(f"{months}/2025-02/close", headers=own)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["corrections"]) == ("closed", 0)
    again = await client.post(f"{months}/2025-02/close", headers=own)
    assert again.json() == closed.json()  # closing a closed month changes nothing

    held = await client.put(hours, headers=own, json={"hours": "90"})
    assert held.status_code == 409
    assert held.json()["type"].endswith("/month-closed")
    march = f"/v1/contracts/{first['id']}/hours/2025-03"
    assert (await client.put(march, headers=own, json={"hours": "90"})).status_code == 200

    reopened = await client.post(f"{months}/2025-02/reopen", headers=own)
    assert reopened.status_code == 200
    assert (reopened.json()["state"], reopened.json()["corrections"]) == ("open", 1)
    assert (await client.put(hours, headers=own, json={"hours": "90"})).status_code == 200
    corrected = await client.post(f"{months}/2025-02/close", headers=own)
    assert corrected.json()["state"] == "corrected"

    listed = await client.get(months, headers=own, params={"from": "2025-01", "to": "2025-03"})
    assert [(m["month"], m["state"]) for m in listed.json()["items"]] == [
        ("2025-01", "open"),
        ("2025-02", "corrected"),
        ("2025-03", "open"),
    ]
    audit = await client.get("/v1/audit", headers=admin_headers, params={"resource": "structures"})
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert any("reopen" in action for action in actions), actions

    export = await client.get(f"{months}/2025-02/export", headers=own)
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert {line["contract_id"]: line["hours"] for line in lines} == {
        first["id"]: "90.00",
        second["id"]: "0.00",
    }
    share = next(line["etp_share"] for line in lines if line["contract_id"] == first["id"])
    assert share == "0.6721"  # 90 h of a 1 607 h year's twelfth (133.92 h)
    assert all(line["exit_date"] == "" for line in lines)
    still_open = await client.get(f"{months}/2025-03/export", headers=own)
    assert still_open.status_code == 409
    assert parcours["id"] in {line["parcours_id"] for line in lines}


async def test_an_exit_of_the_month_is_in_its_export(
    client: httpx.AsyncClient, own: dict[str, str], structure: dict[str, Any]
) -> None:
    parcours, contract = await contract_in(client, own, end_date="2025-05-20")
    for month in ("2025-05",):
        put = await client.put(
            f"/v1/contracts/{contract['id']}/hours/{month}", headers=own, json={"hours": "60"}
        )
        assert put.status_code == 200
    exited = await client.post(
        f"/v1/parcours/{parcours['id']}/exit",
        headers=own,
        json={"exit_date": "2025-05-20", "motif": "cdi"},
    )
    assert exited.status_code == 200, exited.text
    months = f"/v1/structures/{structure['id']}/months"
    assert (await client.post(f"{months}/2025-05/close", headers=own)).status_code == 200
    export = await client.get(f"{months}/2025-05/export", headers=own)
    [line] = list(csv.DictReader(io.StringIO(export.text)))
    assert (line["exit_date"], line["exit_motif"], line["exit_category"]) == (
        "2025-05-20",
        "cdi",
        "emploi_durable",
    )


async def test_only_the_structure_and_admin_close_its_months(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    months = f"/v1/structures/{structure['id']}/months"
    other = await create_structure(client, admin_headers)
    stranger = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=other["id"])
    )
    network = bearer(await make_key(Role.network, (Scope.read,), network_id=other["id"]))
    assert (await client.post(f"{months}/2025-02/close", headers=stranger)).status_code == 404
    assert (
        await client.get(months, headers=network, params={"from": "2025-01", "to": "2025-02"})
    ).status_code == 403
    assert (await client.post(f"{months}/2025-02/close", headers=admin_headers)).status_code == 200
    assert (await client.post(f"{months}/2025-03/reopen", headers=own)).status_code == 409
    too_long = await client.get(months, headers=own, params={"from": "2020-01", "to": "2025-12"})
    assert too_long.status_code == 422
