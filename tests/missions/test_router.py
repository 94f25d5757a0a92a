import uuid
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.problems import pointers
from tests.support.records import (
    create_company,
    create_salarie,
    create_structure,
    mission_body,
)


class World:
    """A structure, a company, their keys, and a stranger of each kind."""

    structure: dict[str, Any]
    company: dict[str, Any]
    structure_key: dict[str, str]
    company_key: dict[str, str]
    other_company_key: dict[str, str]
    other_structure_key: dict[str, str]
    network_key: dict[str, str]


@pytest.fixture
async def world(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> World:
    w = World()
    w.structure = await create_structure(client, admin_headers, kind="AI")
    w.company = await create_company(client, admin_headers)
    other_company = await create_company(client, admin_headers)
    other_structure = await create_structure(client, admin_headers)
    rw = (Scope.read, Scope.write)
    w.structure_key = bearer(await make_key(Role.structure, rw, structure_id=w.structure["id"]))
    w.company_key = bearer(await make_key(Role.company, rw, company_id=w.company["id"]))
    w.other_company_key = bearer(await make_key(Role.company, rw, company_id=other_company["id"]))
    w.other_structure_key = bearer(
        await make_key(Role.structure, rw, structure_id=other_structure["id"])
    )
    w.network_key = bearer(await make_key(Role.network, (Scope.read,), network_id=uuid.uuid4()))
    return w


async def propose(client: httpx.AsyncClient, world: World, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/missions",
        headers=world.company_key,
        json=mission_body(world.structure["id"], **overrides),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_company_proposes_a_mission_with_exact_amounts(
    client: httpx.AsyncClient, world: World
) -> None:
    mission = await propose(
        client, world, amount_ht="48500.10", social_clause={"insertion_hours_target": "600"}
    )
    assert mission["company_id"] == world.company["id"]
    assert mission["status"] == "proposee"
    assert mission["amount_ht"] == "48500.10"
    assert mission["social_clause"] == {"insertion_hours_target": "600.00"}
    assert (mission["departement_code"], mission["region_code"]) == ("29", "53")


async def test_bad_missions_are_named(
    client: httpx.AsyncClient, world: World, admin_headers: dict[str, str]
) -> None:
    aci = await create_structure(client, admin_headers, kind="ACI")
    cases = [
        (mission_body(aci["id"], kind="mise_a_disposition"), "/body/kind"),
        (mission_body(str(uuid.uuid4())), "/body/structure_id"),
        (mission_body(world.structure["id"], commune_code="96001"), "/body/commune_code"),
        (mission_body(world.structure["id"], amount_ht="-1"), "/body/amount_ht"),
        (mission_body(world.structure["id"], end_date="2025-01-01"), "/body"),
    ]
    for body, pointer in cases:
        response = await client.post("/v1/missions", headers=world.company_key, json=body)
        assert response.status_code == 422, body
        assert pointer in pointers(response), response.text
    first = await propose(client, world)
    again = await client.post(
        "/v1/missions",
        headers=world.company_key,
        json=mission_body(world.structure["id"], external_ref=first["external_ref"]),
    )
    assert again.status_code == 409
    assert again.json()["existing_mission_id"] == first["id"]


async def test_upsert_by_reference_replays_without_duplicates(
    client: httpx.AsyncClient, world: World
) -> None:
    body = mission_body(world.structure["id"])
    ref = body.pop("external_ref")
    url = f"/v1/missions/by-ref/{ref}"
    created = await client.put(url, headers=world.company_key, json=body)
    assert created.status_code == 201, created.text
    unchanged = await client.put(url, headers=world.company_key, json=body)
    assert unchanged.status_code == 200
    assert unchanged.json()["id"] == created.json()["id"]
    assert unchanged.headers["etag"] == created.headers["etag"] == '"1"'
    updated = await client.put(
        url, headers=world.company_key | {"If-Match": '"1"'}, json=body | {"amount_ht": "50000"}
    )
    assert updated.status_code == 200
    assert updated.headers["etag"] == '"2"'
    stale = await client.put(url, headers=world.company_key | {"If-Match": '"1"'}, json=body)
    assert stale.status_code == 412
    listed = await client.get("/v1/missions", headers=world.company_key)
    assert [m["external_ref"] for m in listed.json()["items"]] == [ref]


async def test_status_moves_by_role(client: httpx.AsyncClient, world: World) -> None:
    mission = await propose(client, world)
    url = f"/v1/missions/{mission['id']}/status"
    assert (
        await client.post(url, headers=world.company_key, json={"status": "acceptee"})
    ).status_code == 403
    accepted = await client.post(url, headers=world.structure_key, json={"status": "acceptee"})
    assert accepted.json()["status"] == "acceptee"
    invalid = await client.post(url, headers=world.structure_key, json={"status": "terminee"})
    assert invalid.status_code == 409
    assert invalid.json()["allowed"] == ["annulee", "en_cours"]
    assert (
        await client.post(url, headers=world.structure_key, json={"status": "en_cours"})
    ).status_code == 200
    cancelled = await client.post(url, headers=world.company_key, json={"status": "annulee"})
    assert cancelled.json()["status"] == "annulee"
    final = await client.post(url, headers=world.structure_key, json={"status": "en_cours"})
    assert final.json()["allowed"] == []


async def test_who_sees_which_missions(
    client: httpx.AsyncClient, world: World, admin_headers: dict[str, str]
) -> None:
    mission = await propose(client, world)
    url = f"/v1/missions/{mission['id']}"
    for key, expected in [
        (admin_headers, 200),
        (world.company_key, 200),
        (world.structure_key, 200),
        (world.other_company_key, 404),
        (world.other_structure_key, 404),
        (world.network_key, 403),
    ]:
        assert (await client.get(url, headers=key)).status_code == expected
    assert (await client.get("/v1/missions", headers=world.other_company_key)).json()["items"] == []
    assert (
        await client.patch(url, headers=world.other_company_key, json={"title": "x"})
    ).status_code == 404
    assert (
        await client.patch(url, headers=world.structure_key, json={"title": "x"})
    ).status_code == 403
    # the company now deals with the structure, and the structure with the company
    assert (
        await client.get(f"/v1/structures/{world.structure['id']}", headers=world.company_key)
    ).status_code == 200
    assert (
        await client.get(f"/v1/companies/{world.company['id']}", headers=world.structure_key)
    ).status_code == 200
    theirs = await client.post(
        "/v1/missions",
        headers=world.company_key,
        json=mission_body(world.structure["id"], company_id=str(uuid.uuid4())),
    )
    assert theirs.status_code == 403


async def test_list_filters(client: httpx.AsyncClient, world: World) -> None:
    early = await propose(
        client, world, start_date="2024-01-01", end_date="2024-03-31", sector="proprete_nettoyage"
    )
    late = await propose(client, world, start_date="2025-06-01", end_date="2025-12-31")

    async def refs(**params: str) -> set[str]:
        response = await client.get("/v1/missions", headers=world.company_key, params=params)
        assert response.status_code == 200, response.text
        return {m["id"] for m in response.json()["items"]}

    assert await refs(active_to="2024-12-31") == {early["id"]}
    assert await refs(active_from="2025-01-01") == {late["id"]}
    assert await refs(sector="proprete_nettoyage") == {early["id"]}
    assert await refs(status="proposee", region="53") == {early["id"], late["id"]}


async def test_hours_follow_the_ai_cap_and_companies_see_no_identity(
    client: httpx.AsyncClient, world: World
) -> None:
    mission = await propose(
        client, world, kind="mise_a_disposition", start_date="2025-01-01", end_date="2025-12-31"
    )
    person = await create_salarie(client, world.structure_key)
    base = f"/v1/missions/{mission['id']}"
    not_assigned = await client.put(
        f"{base}/assignments/{person['id']}/hours/2025-01",
        headers=world.structure_key,
        json={"hours": "10"},
    )
    assert not_assigned.status_code == 404
    assert (
        await client.post(
            f"{base}/assignments", headers=world.structure_key, json={"salarie_id": person["id"]}
        )
    ).status_code == 204
    for month, hours in [("2025-01", "200"), ("2025-02", "200")]:
        response = await client.put(
            f"{base}/assignments/{person['id']}/hours/{month}",
            headers=world.structure_key,
            json={"hours": hours},
        )
        assert response.status_code == 200, response.text
    assert response.json()["warnings"][0]["code"] == "ai_placement_near_cap"
    over = await client.put(
        f"{base}/assignments/{person['id']}/hours/2025-03",
        headers=world.structure_key,
        json={"hours": "80.01"},
    )
    assert over.status_code == 422
    assert over.json()["violations"][0]["code"] == "ai_placement_over_cap"
    replaced = await client.put(
        f"{base}/assignments/{person['id']}/hours/2025-02",
        headers=world.structure_key,
        json={"hours": "100"},
    )
    assert replaced.status_code == 200  # replacing a month counts it once
    outside = await client.put(
        f"{base}/assignments/{person['id']}/hours/2026-01",
        headers=world.structure_key,
        json={"hours": "1"},
    )
    assert outside.status_code == 409  # the mission's stored period decides

    seen_by_company = (await client.get(f"{base}/hours", headers=world.company_key)).json()
    assert seen_by_company["total_hours"] == "300.00"
    assert seen_by_company["assigned_salaries"] == 1
    assert seen_by_company["by_salarie"] is None
    assert person["id"] not in str(seen_by_company)
    seen_by_structure = (await client.get(f"{base}/hours", headers=world.structure_key)).json()
    assert {h["salarie_id"] for h in seen_by_structure["by_salarie"]} == {person["id"]}

    stranger = await create_salarie(client, world.other_structure_key)
    foreign = await client.post(
        f"{base}/assignments", headers=world.structure_key, json={"salarie_id": stranger["id"]}
    )
    assert foreign.status_code == 422
    assert foreign.json()["type"].endswith("/unknown-reference")


async def test_a_prefets_decision_lifts_the_ai_cap_while_it_runs(
    client: httpx.AsyncClient, world: World, admin_headers: dict[str, str]
) -> None:
    mission = await propose(
        client, world, kind="mise_a_disposition", start_date="2025-01-01", end_date="2025-12-31"
    )
    person = await create_salarie(client, world.structure_key)
    base = f"/v1/missions/{mission['id']}"
    await client.post(
        f"{base}/assignments", headers=world.structure_key, json={"salarie_id": person["id"]}
    )

    async def hours(month: str, value: str) -> httpx.Response:
        return await client.put(
            f"{base}/assignments/{person['id']}/hours/{month}",
            headers=world.structure_key,
            json={"hours": value},
        )

    assert (await hours("2025-01", "480")).status_code == 200
    assert (await hours("2025-02", "10")).status_code == 422
    decisions = f"/v1/structures/{world.structure['id']}/ai-cap-derogations"
    lifted = await client.post(
        decisions,
        headers=admin_headers,
        json={"start_date": "2025-02-01", "end_date": "2025-06-30"},
    )
    assert lifted.status_code == 201, lifted.text
    assert (await hours("2025-02", "10")).status_code == 200
    assert (await hours("2025-07", "10")).status_code == 422  # the decision has ended
    overlapping = await client.post(
        decisions,
        headers=admin_headers,
        json={"start_date": "2025-06-01", "end_date": "2026-06-30"},
    )
    assert [v["code"] for v in overlapping.json()["violations"]] == ["cap_derogations_overlap"]
    by_structure = await client.post(
        decisions,
        headers=world.structure_key,
        json={"start_date": "2025-07-01", "end_date": "2025-12-31"},
    )
    assert by_structure.status_code == 403
    listed = (await client.get(decisions, headers=world.structure_key)).json()
    assert [(d["start_date"], d["end_date"]) for d in listed["items"]] == [
        ("2025-02-01", "2025-06-30")
    ]
    assert (await client.get(decisions, headers=world.company_key)).status_code == 404
