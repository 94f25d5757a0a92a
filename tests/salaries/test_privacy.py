"""Pseudonymisation on request (DELETE) and by retention (``jalon purge``)."""

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.keys.models import Role, Scope
from app.parcours.models import Action, Derogation, Objective
from app.salaries import privacy
from app.salaries.models import PassIae, Salarie
from tests.support.figures import record
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    CDDI,
    create_company,
    create_structure,
    new_nir,
    salarie_in_parcours,
)

INDICATORS = (
    "salaries_accompagnes",
    "heures_travaillees",
    "etp_realises",
    "sorties",
    "taux_sorties_dynamiques",
)
PERIOD = {"from": "2024-01", "to": "2024-12"}


async def ended_parcours(
    client: httpx.AsyncClient, headers: dict[str, str], exit_date: str = "2024-07-14"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A salarié whose parcours had a contract, hours, notes and an exit."""
    person, parcours = await salarie_in_parcours(
        client,
        headers,
        birth_date="1970-01-01",
        nir=new_nir(year=70, month=1),
        france_travail_id="4567890B",
    )
    base = f"/v1/parcours/{parcours['id']}"
    contract = await client.post(f"{base}/contracts", headers=headers, json=CDDI)
    assert contract.status_code == 201, contract.text
    for month, hours in (("2024-02", "110"), ("2024-03", "104.5")):
        put = await client.put(
            f"/v1/contracts/{contract.json()['id']}/hours/{month}",
            headers=headers,
            json={"hours": hours},
        )
        assert put.status_code == 200, put.text
    written = [
        (
            f"{base}/actions",
            {
                "kind": "entretien",
                "done_on": "2024-02-01",
                "duration_minutes": 45,
                "note": "Parle de sa fille Léa",
            },
        ),
        (f"{base}/objectives", {"label": "Permis B, Maëlle", "target_date": "2024-06-30"}),
        (
            f"{base}/derogations",
            {
                "kind": "senior_50_ans_ou_plus",
                "start_date": "2024-05-01",
                "end_date": "2024-06-30",
                "reason": "Maëlle, 52 ans",
            },
        ),
    ]
    for url, body in written:
        response = await client.post(url, headers=headers, json=body)
        assert response.status_code == 201, response.text
    exited = await client.post(
        f"{base}/exit", headers=headers, json={"exit_date": exit_date, "motif": "cdi"}
    )
    assert exited.status_code == 200, exited.text
    return person, parcours


async def indicator_values(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    values = []
    for code in INDICATORS:
        response = await client.get(f"/v1/indicators/{code}", headers=headers, params=PERIOD)
        assert response.status_code == 200, response.text
        values.append(response.json())
    return values


async def test_delete_removes_the_identity_and_keeps_the_indicators(
    client: httpx.AsyncClient, own: dict[str, str], session: AsyncSession
) -> None:
    person, parcours = await ended_parcours(client, own)
    before = await indicator_values(client, own)

    deleted = await client.delete(f"/v1/salaries/{person['id']}", headers=own)

    assert deleted.status_code == 204, deleted.text
    after = await indicator_values(client, own)
    record(
        "pseudonymisation on request",
        indicators_compared=len(INDICATORS),
        indicators_changed=sum(b != a for b, a in zip(before, after, strict=True)),
    )
    assert after == before
    read = (await client.get(f"/v1/salaries/{person['id']}", headers=own)).json()
    for field in ("first_name", "last_name", "birth_date", "france_travail_id", "commune_code"):
        assert read[field] is None, field
    assert read["has_nir"] is False
    assert read["pseudonymised_at"] is not None
    assert read["gender"] == person["gender"]  # what is not identifying stays
    pass_iae = (await client.get(f"/v1/salaries/{person['id']}/pass-iae", headers=own)).json()
    assert pass_iae["number"] is None
    assert pass_iae["end_date"]

    salarie = await session.get(Salarie, person["id"], populate_existing=True)
    assert salarie is not None
    assert salarie.nir_hash is None
    notes = await session.scalars(select(Action.note).where(Action.parcours_id == parcours["id"]))
    assert list(notes) == [None]
    reasons = await session.scalars(
        select(Derogation.reason).where(Derogation.parcours_id == parcours["id"])
    )
    assert list(reasons) == [None]
    labels = await session.scalars(
        select(Objective.label).where(Objective.parcours_id == parcours["id"])
    )
    assert list(labels) == ["[pseudonymised]"]
    listed = (await client.get("/v1/salaries", headers=own, params={"q": "Le Goff"})).json()
    assert person["id"] not in [item["id"] for item in listed["items"]]


async def test_a_pseudonymised_salarie_refuses_changes_and_delete_repeats(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person, _ = await ended_parcours(client, own)
    assert (await client.delete(f"/v1/salaries/{person['id']}", headers=own)).status_code == 204
    again = await client.delete(f"/v1/salaries/{person['id']}", headers=own)
    assert again.status_code == 204
    for method, url, body in [
        ("PATCH", f"/v1/salaries/{person['id']}", {"first_name": "Back"}),
        (
            "PUT",
            f"/v1/salaries/{person['id']}/pass-iae",
            {"number": "999992412345", "start_date": "2025-01-06"},
        ),
        ("POST", "/v1/parcours", {"salarie_id": person["id"], "entry_date": "2025-01-01"}),
    ]:
        refused = await client.request(method, url, headers=own, json=body)
        assert refused.status_code == 409, (url, refused.text)
        assert "pseudonymised" in refused.json()["detail"]


async def test_delete_waits_for_the_exit_and_respects_tenants(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    person, _ = await salarie_in_parcours(client, own)
    under_way = await client.delete(f"/v1/salaries/{person['id']}", headers=own)
    assert under_way.status_code == 409
    assert "exit" in under_way.json()["detail"]

    other = await create_structure(client, admin_headers)
    other_key = bearer(await make_key(Role.structure, structure_id=other["id"]))
    company = await create_company(client, admin_headers)
    company_key = bearer(await make_key(Role.company, company_id=company["id"]))
    reader = bearer(
        await make_key(Role.structure, (Scope.read,), structure_id=person["structure_id"])
    )
    assert (
        await client.delete(f"/v1/salaries/{person['id']}", headers=other_key)
    ).status_code == 404
    assert (
        await client.delete(f"/v1/salaries/{person['id']}", headers=company_key)
    ).status_code == 403
    assert (await client.delete(f"/v1/salaries/{person['id']}", headers=reader)).status_code == 403
    assert (await client.get(f"/v1/salaries/{person['id']}", headers=own)).json()["last_name"]


async def test_purge_pseudonymises_only_those_past_the_retention(
    client: httpx.AsyncClient, own: dict[str, str], session: AsyncSession
) -> None:
    old, _ = await ended_parcours(client, own, exit_date="2024-07-14")
    recent, _ = await ended_parcours(client, own, exit_date="2024-09-30")
    under_way, _ = await salarie_in_parcours(client, own)
    before = await indicator_values(client, own)
    # "on" 2027-07-20 with a 3-year retention: an exit before 2024-07-20 is past it
    today, retention = dt.date(2027, 7, 20), 365 * 3
    cut_off = privacy.retention_cut_off(today, retention)
    assert cut_off == dt.date(2024, 7, 20)

    counted = await privacy.purge(
        session, today=today, retention_days=retention, dry_run=True, run_id="dry"
    )
    done = await privacy.purge(
        session, today=today, retention_days=retention, dry_run=False, run_id="purge-test"
    )
    assert {str(i) for i in counted} == {str(i) for i in done}
    assert old["id"] in {str(i) for i in done}
    assert not {recent["id"], under_way["id"]} & {str(i) for i in done}
    after = await indicator_values(client, own)
    record(
        "purge past the retention",
        pseudonymised=len(done),
        kept=2,
        indicators_changed=sum(b != a for b, a in zip(before, after, strict=True)),
    )
    assert after == before
    entries = (
        await session.scalars(select(AuditEntry).where(AuditEntry.request_id == "purge-test"))
    ).all()
    assert {e.resource_id for e in entries} == {str(i) for i in done}
    assert all(e.action == "purge" and e.fields == [] for e in entries)
    second = await privacy.purge(
        session, today=today, retention_days=retention, dry_run=False, run_id="second"
    )
    assert second == []
    for kept in (recent, under_way):
        salarie = await session.get(Salarie, kept["id"], populate_existing=True)
        assert salarie is not None
        assert salarie.last_name is not None
    numbers = await session.scalars(select(PassIae.number).where(PassIae.salarie_id == old["id"]))
    assert list(numbers) == [None]
