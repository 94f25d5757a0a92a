from typing import Any

import httpx

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.problems import pointers
from tests.support.records import create_network, create_structure

YEAR_2024 = {
    "year": 2024,
    "posts": "10",
    "modulation_rate": "0",
    "start_date": "2024-01-01",
    "end_date": "2024-12-31",
}


async def post_annexe(
    client: httpx.AsyncClient, admin: dict[str, str], structure: dict[str, Any], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/structures/{structure['id']}/annexes", headers=admin, json=YEAR_2024 | body
    )


async def test_aid_of_an_aci_across_the_2024_rate_change_is_exact(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers, kind="ACI")
    response = await post_annexe(client, admin_headers, structure)
    assert response.status_code == 201, response.text
    aid = response.json()["aid"]
    assert aid["socle"] == "235351.67"  # a string: exact decimal, never a float
    assert aid["total"] == "235351.67"
    assert [segment["amount_per_etp"] for segment in aid["segments"]] == ["23458.00", "23921.00"]


async def test_modulation_adds_to_the_socle(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers, kind="EI")
    response = await post_annexe(
        client,
        admin_headers,
        structure,
        year=2025,
        start_date="2025-01-01",
        end_date="2025-12-31",
        posts="4.5",
        modulation_rate="7.5",
    )
    aid = response.json()["aid"]
    assert aid["socle"] == "59868.00"  # 13 304 x 4.5
    assert aid["modulation"] == "4490.10"
    assert aid["total"] == "64358.10"


async def test_an_annexes_etp_conventionnes_are_its_posts_times_months_over_12(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    half = await post_annexe(client, admin_headers, structure, posts="10", start_date="2024-07-01")
    assert half.status_code == 201, half.text
    assert (half.json()["posts"], half.json()["etp_conventionnes"]) == ("10.00", "5.00")
    changed = await client.patch(
        f"/v1/structures/{structure['id']}/annexes/{half.json()['id']}",
        headers=admin_headers | {"If-Match": '"1"'},
        json={"posts": "6"},
    )
    assert changed.json()["etp_conventionnes"] == "3.00"


async def test_the_aid_is_split_between_the_state_and_the_conseil_departemental(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers, kind="ACI")
    response = await post_annexe(
        client, admin_headers, structure, conseil_departemental_percent="25"
    )
    assert response.status_code == 201, response.text
    assert response.json()["conseil_departemental_percent"] == "25.00"
    aid = response.json()["aid"]
    assert (aid["total"], aid["etat"], aid["conseil_departemental"]) == (
        "235351.67",
        "176513.75",
        "58837.92",
    )
    too_much = await post_annexe(
        client,
        admin_headers,
        structure,
        year=2025,
        start_date="2025-01-01",
        end_date="2025-12-31",
        conseil_departemental_percent="100.01",
    )
    assert too_much.status_code == 422
    assert "/body/conseil_departemental_percent" in pointers(too_much)


async def test_modulation_over_the_limit_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    response = await post_annexe(client, admin_headers, structure, modulation_rate="10.01")
    assert response.status_code == 422
    assert "at most 10" in pointers(response)["/body/modulation_rate"]


async def test_reversed_dates_and_dates_outside_the_year_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    reversed_dates = await post_annexe(
        client, admin_headers, structure, start_date="2024-06-01", end_date="2024-05-31"
    )
    assert reversed_dates.status_code == 422
    assert "before start_date" in pointers(reversed_dates)["/body/end_date"]
    other_year = await post_annexe(client, admin_headers, structure, end_date="2025-01-31")
    assert "ends in 2024" in pointers(other_year)["/body/end_date"]
    negative = await post_annexe(client, admin_headers, structure, posts="0")
    assert "/body/posts" in pointers(negative)


async def test_overlapping_annexes_are_409_naming_the_other(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    first = await post_annexe(client, admin_headers, structure, end_date="2024-06-30")
    assert first.status_code == 201
    overlapping = await post_annexe(client, admin_headers, structure, start_date="2024-06-30")
    assert overlapping.status_code == 409
    assert overlapping.json()["overlapping_annexe_id"] == first.json()["id"]
    assert "/body/start_date" in pointers(overlapping)
    following = await post_annexe(client, admin_headers, structure, start_date="2024-07-01")
    assert following.status_code == 201
    other_structure = await create_structure(client, admin_headers)
    assert (await post_annexe(client, admin_headers, other_structure)).status_code == 201


async def test_patch_recomputes_the_aid_and_checks_the_merged_annexe(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    created = (await post_annexe(client, admin_headers, structure, end_date="2024-06-30")).json()
    second = (await post_annexe(client, admin_headers, structure, start_date="2024-07-01")).json()
    url = f"/v1/structures/{structure['id']}/annexes/{created['id']}"

    doubled = await client.patch(
        url, headers=admin_headers | {"If-Match": '"1"'}, json={"posts": "20"}
    )
    assert doubled.status_code == 200, doubled.text
    assert doubled.json()["aid"]["socle"] == "233298.14"  # 20 x 23 458 x 182/366
    assert doubled.headers["etag"] == '"2"'
    stale = await client.patch(
        url, headers=admin_headers | {"If-Match": '"1"'}, json={"posts": "5"}
    )
    assert stale.status_code == 412
    into_second = await client.patch(url, headers=admin_headers, json={"end_date": "2024-07-15"})
    assert into_second.status_code == 409
    assert into_second.json()["overlapping_annexe_id"] == second["id"]
    reversed_dates = await client.patch(
        url, headers=admin_headers, json={"start_date": "2024-08-01"}
    )
    assert reversed_dates.status_code == 422
    assert "/body/end_date" in pointers(reversed_dates)


async def test_who_reads_and_writes_annexes(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure = await create_structure(client, admin_headers)
    other = await create_structure(client, admin_headers)
    annexe = (await post_annexe(client, admin_headers, structure)).json()
    network = await create_network(client, admin_headers, member_structure_ids=[structure["id"]])
    own = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
    )
    stranger = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=other["id"])
    )
    network_key = bearer(await make_key(Role.network, (Scope.read,), network_id=network["id"]))
    company = bearer(await make_key(Role.company, (Scope.read,), company_id=structure["id"]))
    url = f"/v1/structures/{structure['id']}/annexes"

    for headers, expected in [
        (admin_headers, 200),
        (own, 200),
        (network_key, 200),
        (stranger, 404),
        (company, 404),
    ]:
        assert (await client.get(url, headers=headers)).status_code == expected
        assert (await client.get(f"{url}/{annexe['id']}", headers=headers)).status_code == expected
    assert (await client.post(url, headers=own, json=YEAR_2024)).status_code == 403
    assert (
        await client.get(
            f"{url}/{annexe['id']}".replace(structure["id"], other["id"]), headers=admin_headers
        )
    ).status_code == 404
