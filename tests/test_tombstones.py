"""Deletions visible to a connector: every synced list's `updated_since` results carry
tombstones of what left the caller's view, merged into the list's order."""

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from app.tombstones.paging import merge
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    IN_OCCITANIE,
    create_company,
    create_network,
    create_salarie,
    create_structure,
    mission_body,
)

SINCE = "2020-01-01T00:00:00Z"
LATER = "2199-01-01T00:00:00Z"

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(seconds=1)
A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def _tomb(at: dt.datetime, record: uuid.UUID | str) -> dict[str, Any]:
    return {"id": record, "kind": "removed", "deleted_at": at}


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["updated_at"], row["id"])


def test_records_and_tombstones_merge_in_one_order() -> None:
    rows = [{"updated_at": T0, "id": B}, {"updated_at": T1, "id": A}]
    gone = [_tomb(T0, A), _tomb(T1, C)]
    items, deleted, next_key = merge(rows, gone, 3, _key)
    assert [row["id"] for row in items] == [B, A]
    assert [tomb["id"] for tomb in deleted] == [A]
    assert next_key == (T1, str(A))


def test_the_last_page_has_no_next_key() -> None:
    items, deleted, next_key = merge([{"updated_at": T0, "id": A}], [_tomb(T1, B)], 2, _key)
    assert (len(items), len(deleted), next_key) == (1, 1, None)


def test_a_record_and_its_tombstone_of_the_same_instant_stay_on_one_page() -> None:
    rows = [{"updated_at": T0, "id": A}, {"updated_at": T1, "id": B}]
    items, deleted, next_key = merge(rows, [_tomb(T0, A)], 1, _key)
    assert [row["id"] for row in items] == [A]
    assert [tomb["id"] for tomb in deleted] == [A]
    assert next_key == (T0, str(A))


def test_ids_merge_whether_they_come_as_uuids_or_as_text() -> None:
    # the ORM gives UUIDs, the pool's codec text
    rows = [{"updated_at": T0, "id": B}]
    items, deleted, _ = merge(rows, [_tomb(T0, str(A)), _tomb(T0, str(C))], 5, _key)
    assert [row["id"] for row in items] == [B]
    assert [tomb["id"] for tomb in deleted] == [str(A), str(C)]


def test_nothing_at_all_is_an_empty_last_page() -> None:
    assert merge([], [], 5, _key) == ([], [], None)


async def _synced(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """Every page of a synced list from SINCE: ids of the items, and the tombstones."""
    items: list[str] = []
    deleted: list[dict[str, Any]] = []
    query: dict[str, str] = {"updated_since": SINCE, "limit": "2", **params}
    while True:
        response = await client.get(path, headers=headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += [item["id"] for item in page["items"]]
        deleted += page["deleted"]
        if page["next_cursor"] is None:
            return items, deleted
        query["cursor"] = page["next_cursor"]


def _gone(deleted: list[dict[str, Any]]) -> dict[str, str]:
    return {tomb["id"]: tomb["kind"] for tomb in deleted}


async def test_a_pseudonymised_salarie_comes_as_a_tombstone_to_its_structure_and_admin(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure = await create_structure(client, admin_headers)
    other = await create_structure(client, admin_headers)
    own = bearer(await make_key(Role.structure, structure_id=structure["id"]))
    stranger = bearer(await make_key(Role.structure, structure_id=other["id"]))
    kept = await create_salarie(client, own)
    leaving = await create_salarie(client, own)
    assert _gone((await _synced(client, "/v1/salaries", own))[1]) == {}

    deleted = await client.delete(f"/v1/salaries/{leaving['id']}", headers=own)
    assert deleted.status_code == 204

    items, tombs = await _synced(client, "/v1/salaries", own)
    assert _gone(tombs) == {leaving["id"]: "pseudonymised"}
    assert sorted(items) == sorted([kept["id"], leaving["id"]])  # the record stays, anonymous
    assert {"id", "kind", "deleted_at"} == set(tombs[0])
    assert leaving["id"] in _gone((await _synced(client, "/v1/salaries", admin_headers))[1])
    assert _gone((await _synced(client, "/v1/salaries", stranger))[1]) == {}

    later = await client.get("/v1/salaries", headers=own, params={"updated_since": LATER})
    assert later.json()["deleted"] == []
    full = await client.get("/v1/salaries", headers=own)
    assert full.json()["deleted"] == []  # a full listing is the current state


async def test_a_deleted_objective_comes_as_a_tombstone_to_its_owner(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure = await create_structure(client, admin_headers)
    other = await create_structure(client, admin_headers)
    own = bearer(await make_key(Role.structure, structure_id=structure["id"]))
    stranger = bearer(await make_key(Role.structure, structure_id=other["id"]))
    body = {
        "indicator": "taux_sorties_dynamiques",
        "scope_kind": "structure",
        "structure_id": structure["id"],
        "period_start": "2025-01",
        "period_end": "2025-12",
        "target_value": "0.60",
    }
    kept = (await client.post("/v1/objectives", headers=own, json=body)).json()
    dropped = (await client.post("/v1/objectives", headers=own, json=body)).json()
    assert (await client.delete(f"/v1/objectives/{dropped['id']}", headers=own)).status_code == 204

    items, tombs = await _synced(client, "/v1/objectives", own)
    assert items == [kept["id"]]
    assert _gone(tombs) == {dropped["id"]: "deleted"}
    assert dropped["id"] in _gone((await _synced(client, "/v1/objectives", admin_headers))[1])
    assert _gone((await _synced(client, "/v1/objectives", stranger))[1]) == {}


async def test_structures_leaving_a_network_come_as_tombstones_to_that_network(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    brest = await create_structure(client, admin_headers)  # Finistère, Bretagne
    quimper = await create_structure(client, admin_headers)
    toulouse = await create_structure(client, admin_headers, **IN_OCCITANIE)
    albi = await create_structure(client, admin_headers, **IN_OCCITANIE)
    network = await create_network(client, admin_headers, departement_codes=["29"])
    members = f"/v1/networks/{network['id']}/members"
    for member in (toulouse, brest):
        added = await client.post(
            members, headers=admin_headers, json={"structure_id": member["id"]}
        )
        assert added.status_code == 200
    other_network = await create_network(client, admin_headers, region_codes=["76"])
    key = bearer(await make_key(Role.network, (Scope.read,), network_id=network["id"]))
    other_key = bearer(await make_key(Role.network, (Scope.read,), network_id=other_network["id"]))

    # a member removed leaves; one the territory still covers does not
    await client.delete(f"{members}/{toulouse['id']}", headers=admin_headers)
    await client.delete(f"{members}/{brest['id']}", headers=admin_headers)
    # a structure moving out of the territory leaves
    await client.patch(f"/v1/structures/{quimper['id']}", headers=admin_headers, json=IN_OCCITANIE)
    items, tombs = await _synced(client, "/v1/structures", key)
    assert _gone(tombs) == {toulouse["id"]: "removed", quimper["id"]: "removed"}
    assert brest["id"] in items

    # the territory narrowed: what it covered and no longer does leaves
    await client.patch(
        f"/v1/networks/{other_network['id']}", headers=admin_headers, json={"region_codes": ["53"]}
    )
    _, other_tombs = await _synced(client, "/v1/structures", other_key)
    assert {toulouse["id"], albi["id"], quimper["id"]} <= set(_gone(other_tombs))

    # admin keys still see every structure: nothing left their view
    assert _gone((await _synced(client, "/v1/structures", admin_headers))[1]) == {}


async def _two_structures_and_a_company(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, str], dict[str, str]]:
    """Two structures, a company, the company's key and the first structure's."""
    first = await create_structure(client, admin_headers)
    second = await create_structure(client, admin_headers)
    company = await create_company(client, admin_headers)
    erp = bearer(await make_key(Role.company, company_id=company["id"]))
    first_key = bearer(await make_key(Role.structure, structure_id=first["id"]))
    return first, second, company, erp, first_key


async def test_a_mission_given_to_another_structure_leaves_the_first_ones_view(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    first, second, company, erp, first_key = await _two_structures_and_a_company(
        client, admin_headers, make_key
    )
    body = mission_body(first["id"])
    ref = body.pop("external_ref")
    put = await client.put(f"/v1/missions/by-ref/{ref}", headers=erp, json=body)
    assert put.status_code in (200, 201), put.text
    mission_id = put.json()["id"]
    assert _gone((await _synced(client, "/v1/missions", first_key))[1]) == {}

    moved = await client.put(
        f"/v1/missions/by-ref/{ref}", headers=erp, json=body | {"structure_id": second["id"]}
    )
    assert moved.status_code == 200, moved.text

    items, tombs = await _synced(client, "/v1/missions", first_key)
    assert (items, _gone(tombs)) == ([], {mission_id: "removed"})
    # no mission links them any more: each leaves the other's view
    assert _gone((await _synced(client, "/v1/companies", first_key))[1]) == {
        company["id"]: "removed"
    }
    assert _gone((await _synced(client, "/v1/structures", erp))[1]) == {first["id"]: "removed"}
    # the company still sees its mission; admin sees everything
    assert _gone((await _synced(client, "/v1/missions", erp))[1]) == {}
    assert _gone((await _synced(client, "/v1/missions", admin_headers))[1]) == {}


async def test_missions_moved_by_a_batch_leave_as_one_statement_does(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    first, second, _, erp, first_key = await _two_structures_and_a_company(
        client, admin_headers, make_key
    )
    batch = [mission_body(first["id"]) for _ in range(5)]
    created = await client.post("/v1/missions/bulk", headers=erp, json=batch)
    assert created.status_code == 200, created.text
    moving = [item | {"structure_id": second["id"]} for item in batch[:3]]
    moved = await client.post("/v1/missions/bulk", headers=erp, json=moving)
    assert moved.json()["counts"]["updated"] == 3

    items, tombs = await _synced(client, "/v1/missions", first_key)
    moved_ids = {item["id"] for item in moved.json()["items"]}
    assert _gone(tombs) == dict.fromkeys(moved_ids, "removed")
    assert len(items) == 2
    assert not moved_ids & set(items)
    # two missions still link the company and the first structure
    assert _gone((await _synced(client, "/v1/companies", first_key))[1]) == {}


@pytest.mark.parametrize("path", ["/v1/contracts", "/v1/companies", "/v1/missions"])
async def test_every_synced_list_carries_its_tombstones(
    client: httpx.AsyncClient, admin_headers: dict[str, str], path: str
) -> None:
    response = await client.get(path, headers=admin_headers, params={"updated_since": SINCE})
    assert response.status_code == 200
    assert response.json()["deleted"] == []
