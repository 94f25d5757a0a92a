import uuid
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.problems import pointers
from tests.support.records import create_salarie, create_structure, new_nir, salarie_body


async def test_a_structure_registers_its_salarie_and_the_nir_is_never_returned(
    client: httpx.AsyncClient, own: dict[str, str], structure: dict[str, Any]
) -> None:
    nir = new_nir()
    response = await client.post("/v1/salaries", headers=own, json=salarie_body(nir=nir))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["structure_id"] == structure["id"]
    assert body["has_nir"] is True
    assert nir not in response.text
    assert "nir" not in body
    read = await client.get(f"/v1/salaries/{body['id']}", headers=own)
    assert nir not in read.text


async def test_duplicates_within_a_structure_are_409(
    client: httpx.AsyncClient, own: dict[str, str], admin_headers: dict[str, str]
) -> None:
    nir = new_nir()
    first = await create_salarie(client, own, nir=nir)
    same_nir = await client.post(
        "/v1/salaries", headers=own, json=salarie_body(nir=nir, last_name="Autre")
    )
    assert same_nir.status_code == 409
    assert same_nir.json()["existing_salarie_id"] == first["id"]
    same_person = await client.post(
        "/v1/salaries", headers=own, json=salarie_body(last_name=first["last_name"].upper())
    )
    assert same_person.status_code == 409
    elsewhere = await create_structure(client, admin_headers)
    other = await client.post(
        "/v1/salaries",
        headers=admin_headers,
        json=salarie_body(nir=nir, structure_id=elsewhere["id"]),
    )
    assert other.status_code == 201  # duplicates are detected within a structure


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nir", "123456789012345"),
        ("birth_date", "2999-01-01"),
        ("gender", "autre"),
        ("criteria", ["rsa", "licorne"]),
        ("commune_code", "ABCDE"),
    ],
)
async def test_bad_salarie_input_is_named(
    client: httpx.AsyncClient, own: dict[str, str], field: str, value: object
) -> None:
    response = await client.post("/v1/salaries", headers=own, json=salarie_body(**{field: value}))
    assert response.status_code == 422
    assert any(pointer.startswith(f"/body/{field}") for pointer in pointers(response))


async def test_pass_iae_runs_730_days_and_moves_with_its_adjustments(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    assert (await client.get(url, headers=own)).status_code == 404
    created = await client.put(
        url, headers=own, json={"number": "999992412345", "start_date": "2025-01-06"}
    )
    assert created.json()["end_date"] == "2027-01-05"
    suspended = await client.post(
        f"{url}/adjustments",
        headers=own,
        json={
            "kind": "suspension",
            "reason": "arret_maladie",
            "start_date": "2025-03-01",
            "end_date": "2025-03-31",
        },
    )
    assert suspended.status_code == 201, suspended.text
    assert suspended.json()["end_date"] == "2027-02-05"
    too_long = await client.post(
        f"{url}/adjustments",
        headers=own,
        json={
            "kind": "prolongation",
            "reason": "formation_en_cours",
            "start_date": "2027-02-06",
            "end_date": "2028-02-06",
        },
    )
    assert too_long.status_code == 422
    assert too_long.json()["violations"][0]["code"] == "pass_adjustment_too_long"
    moved = await client.put(
        url, headers=own, json={"number": "999992412345", "start_date": "2025-02-01"}
    )
    assert moved.json()["end_date"] == "2027-03-03"  # the suspension still counts
    assert len(moved.json()["adjustments"]) == 1


async def test_salarie_access_by_role(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    person = await create_salarie(client, own)
    other_structure = await create_structure(client, admin_headers)
    stranger = bearer(
        await make_key(
            Role.structure, (Scope.read, Scope.write), structure_id=other_structure["id"]
        )
    )
    company = bearer(
        await make_key(Role.company, (Scope.read, Scope.write), company_id=uuid.uuid4())
    )
    network = bearer(await make_key(Role.network, (Scope.read,), network_id=uuid.uuid4()))
    url = f"/v1/salaries/{person['id']}"

    assert (await client.get(url, headers=admin_headers)).status_code == 200
    assert (await client.get(url, headers=own)).status_code == 200
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.get("/v1/salaries", headers=stranger)).json()["items"] == []
    for key in (company, network):
        for method, path in [
            ("GET", url),
            ("GET", "/v1/salaries"),
            ("GET", f"{url}/pass-iae"),
            ("PATCH", url),
        ]:
            response = await client.request(
                method, path, headers=key, json={} if method == "PATCH" else None
            )
            assert response.status_code == 403, (method, path)
            assert person["last_name"] not in response.text
    assert (await client.patch(url, headers=stranger, json={"first_name": "x"})).status_code == 404
    wrong_structure = await client.post(
        "/v1/salaries", headers=own, json=salarie_body(structure_id=other_structure["id"])
    )
    assert wrong_structure.status_code == 403
    admin_without_structure = await client.post(
        "/v1/salaries", headers=admin_headers, json=salarie_body()
    )
    assert admin_without_structure.status_code == 422


async def test_patch_salarie_with_etag(client: httpx.AsyncClient, own: dict[str, str]) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}"
    updated = await client.patch(
        url, headers=own | {"If-Match": '"1"'}, json={"criteria": ["rqth", "rsa"]}
    )
    assert updated.status_code == 200
    assert updated.json()["criteria"] == ["rqth", "rsa"]
    stale = await client.patch(url, headers=own | {"If-Match": '"1"'}, json={"first_name": "Anne"})
    assert stale.status_code == 412
    with_nir = await client.patch(url, headers=own, json={"nir": new_nir()})
    assert with_nir.json()["has_nir"] is True
