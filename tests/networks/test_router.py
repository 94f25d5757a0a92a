import httpx

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import IN_OCCITANIE, create_network, create_structure


async def structure_ids_for(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> set[str]:
    response = await client.get("/v1/structures", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_scope_follows_members_regions_and_departements_as_they_change(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    brest = await create_structure(client, admin_headers)  # Finistère, Bretagne
    toulouse = await create_structure(client, admin_headers, **IN_OCCITANIE)
    network = await create_network(client, admin_headers, departement_codes=["29"])
    key = bearer(await make_key(Role.network, (Scope.read,), network_id=network["id"]))

    assert await structure_ids_for(client, key) == {brest["id"]}

    joined = await client.post(
        f"/v1/networks/{network['id']}/members",
        headers=admin_headers,
        json={"structure_id": toulouse["id"]},
    )
    assert joined.status_code == 200
    assert joined.json()["member_structure_ids"] == [toulouse["id"]]
    assert await structure_ids_for(client, key) == {brest["id"], toulouse["id"]}

    left = await client.delete(
        f"/v1/networks/{network['id']}/members/{toulouse['id']}", headers=admin_headers
    )
    assert left.status_code == 200
    assert await structure_ids_for(client, key) == {brest["id"]}

    # a structure moving out of the département leaves the scope
    moved = await client.patch(
        f"/v1/structures/{brest['id']}", headers=admin_headers, json=IN_OCCITANIE
    )
    assert moved.status_code == 200
    assert await structure_ids_for(client, key) == set()

    widened = await client.patch(
        f"/v1/networks/{network['id']}", headers=admin_headers, json={"region_codes": ["76"]}
    )
    assert widened.status_code == 200
    assert await structure_ids_for(client, key) == {brest["id"], toulouse["id"]}
    assert await structure_ids_for(client, admin_headers, network=network["id"]) == {
        brest["id"],
        toulouse["id"],
    }


async def test_network_keys_see_their_own_network_only(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    mine = await create_network(client, admin_headers)
    theirs = await create_network(client, admin_headers)
    key = bearer(await make_key(Role.network, (Scope.read,), network_id=mine["id"]))
    assert (await client.get(f"/v1/networks/{mine['id']}", headers=key)).status_code == 200
    assert (await client.get(f"/v1/networks/{theirs['id']}", headers=key)).status_code == 404
    assert [n["id"] for n in (await client.get("/v1/networks", headers=key)).json()["items"]] == [
        mine["id"]
    ]
    assert (
        await client.patch(f"/v1/networks/{mine['id']}", headers=key, json={"name": "x"})
    ).status_code == 403


async def test_bad_network_input_is_named(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    unknown = await client.post(
        "/v1/networks",
        headers=admin_headers,
        json={
            "name": "x",
            "region_codes": ["53", "99"],
            "departement_codes": ["00"],
            "member_structure_ids": ["00000000-0000-4000-8000-000000000000"],
        },
    )
    assert unknown.status_code == 422
    pointers = {error["pointer"] for error in unknown.json()["errors"]}
    assert pointers == {"/body/region_codes/1", "/body/departement_codes/0"}
    members = await client.post(
        "/v1/networks",
        headers=admin_headers,
        json={"name": "x", "member_structure_ids": ["00000000-0000-4000-8000-000000000000"]},
    )
    assert members.status_code == 422
    assert members.json()["errors"][0]["pointer"] == "/body/member_structure_ids/0"
    first = await create_network(client, admin_headers, name="Unique")
    duplicate = await client.post("/v1/networks", headers=admin_headers, json={"name": "Unique"})
    assert duplicate.status_code == 409
    stale = await client.patch(
        f"/v1/networks/{first['id']}",
        headers=admin_headers | {"If-Match": '"7"'},
        json={"name": "y"},
    )
    assert stale.status_code == 412
    not_member = await client.delete(
        f"/v1/networks/{first['id']}/members/00000000-0000-4000-8000-000000000000",
        headers=admin_headers,
    )
    assert not_member.status_code == 404
