"""GET /v1/contracts: every contract a structure may see, across its parcours, for an
HRIS to sync; nothing of another structure's, nothing for a company or network key."""

from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, create_structure, salarie_in_parcours

CDDI = {"kind": "cddi", "start_date": "2024-01-15", "end_date": "2024-07-14", "weekly_hours": "26"}


@pytest.fixture
async def two_structures(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
    """Two structures, each with its key and three signed contracts."""
    made = []
    for _ in range(2):
        structure = await create_structure(client, admin_headers, kind="ACI")
        key = bearer(
            await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
        )
        contracts = []
        for _ in range(3):
            _, parcours = await salarie_in_parcours(client, key)
            signed = await client.post(
                f"/v1/parcours/{parcours['id']}/contracts", headers=key, json=CDDI
            )
            assert signed.status_code == 201, signed.text
            contracts.append(signed.json())
        made.append((key, contracts))
    return made


async def every_page(
    client: httpx.AsyncClient, key: dict[str, str], **query: Any
) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        params = {"limit": 2, **query} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/v1/contracts", headers=key, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def test_a_structure_syncs_its_own_contracts_and_no_one_elses(
    client: httpx.AsyncClient, two_structures: list[tuple[dict[str, str], list[dict[str, Any]]]]
) -> None:
    (key, mine), (_, theirs) = two_structures
    listed = await every_page(client, key)
    assert sorted(c["id"] for c in listed) == sorted(c["id"] for c in mine)
    assert not {c["id"] for c in listed} & {c["id"] for c in theirs}
    assert listed[0] == (await client.get(f"/v1/contracts/{listed[0]['id']}", headers=key)).json()


async def test_filters_and_a_delta_sync_after_an_avenant(
    client: httpx.AsyncClient, two_structures: list[tuple[dict[str, str], list[dict[str, Any]]]]
) -> None:
    (key, mine), _ = two_structures
    one = mine[1]
    by_parcours = await every_page(client, key, parcours=one["parcours_id"])
    assert [c["id"] for c in by_parcours] == [one["id"]]
    assert await every_page(client, key, kind="cdi_inclusion") == []
    assert len(await every_page(client, key, active_from="2024-07-14")) == 3
    assert await every_page(client, key, active_from="2024-07-15") == []
    assert await every_page(client, key, active_to="2024-01-14") == []

    latest = max(c["updated_at"] for c in await every_page(client, key))
    amended = await client.post(
        f"/v1/contracts/{one['id']}/amendments",
        headers=key,
        json={"signed_on": "2024-07-01", "end_date": "2024-12-31"},
    )
    assert amended.status_code == 200, amended.text
    delta = await every_page(client, key, updated_since=latest)
    assert one["id"] in [c["id"] for c in delta]
    changed = next(c for c in delta if c["id"] == one["id"])
    assert changed["end_date"] == "2024-12-31"
    assert [a["new_end_date"] for a in changed["amendments"]] == ["2024-12-31"]


async def test_a_company_key_sees_no_contract(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    two_structures: list[tuple[dict[str, str], list[dict[str, Any]]]],
) -> None:
    company = await create_company(client, admin_headers)
    key = bearer(await make_key(Role.company, (Scope.read,), company_id=company["id"]))
    assert (await client.get("/v1/contracts", headers=key)).status_code == 403


async def test_a_cursor_of_a_parcours_contract_list_is_refused_here(
    client: httpx.AsyncClient, two_structures: list[tuple[dict[str, str], list[dict[str, Any]]]]
) -> None:
    (key, mine), _ = two_structures
    page = await client.get("/v1/contracts", headers=key, params={"limit": 1})
    cursor = page.json()["next_cursor"]
    other = await client.get(
        f"/v1/parcours/{mine[0]['parcours_id']}/contracts", headers=key, params={"cursor": cursor}
    )
    assert other.status_code == 400
