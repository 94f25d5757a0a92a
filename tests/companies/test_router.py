import uuid

import httpx

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, create_structure, new_siret

PROBLEM = "application/problem+json"


async def test_admin_registers_a_company(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    siret = new_siret()
    response = await client.post(
        "/v1/companies",
        headers=admin_headers,
        json={
            "siret": siret,
            "name": "Kerjean",
            "size": "GE",
            "sector": "industrie",
            "region_code": "53",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["siren"] == siret[:9]
    assert body["category"] == "entreprise"
    assert response.headers["etag"] == '"1"'


async def test_la_poste_siret_is_accepted(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    company = await create_company(client, admin_headers, siret="35600000049837", name="La Poste")
    assert company["siren"] == "356000000"


async def test_private_individual_needs_no_siret_but_a_company_does(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    individual = await client.post(
        "/v1/companies",
        headers=admin_headers,
        json={"name": "M. Le Gall", "category": "particulier", "region_code": "53"},
    )
    assert individual.status_code == 201
    assert individual.json()["siret"] is None
    company = await client.post(
        "/v1/companies", headers=admin_headers, json={"name": "Sans SIRET", "region_code": "53"}
    )
    assert company.status_code == 422


async def test_bad_input_is_named(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    existing = await create_company(client, admin_headers)
    duplicate = await client.post(
        "/v1/companies",
        headers=admin_headers,
        json={"siret": existing["siret"], "name": "x", "region_code": "53"},
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["existing_company_id"] == existing["id"]
    for body, pointer in [
        ({"siret": "12345678901234", "name": "x", "region_code": "53"}, "/body/siret"),
        ({"siret": new_siret(), "name": "x", "region_code": "99"}, "/body/region_code"),
        ({"siret": new_siret(), "name": "x", "region_code": "53", "size": "XL"}, "/body/size"),
    ]:
        response = await client.post("/v1/companies", headers=admin_headers, json=body)
        assert response.status_code == 422, body
        assert pointer in {error["pointer"] for error in response.json()["errors"]}


async def test_a_company_key_reads_and_updates_its_own_only(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    own = await create_company(client, admin_headers)
    other = await create_company(client, admin_headers)
    key = bearer(await make_key(Role.company, (Scope.read, Scope.write), company_id=own["id"]))

    assert (await client.get(f"/v1/companies/{own['id']}", headers=key)).status_code == 200
    assert (await client.get(f"/v1/companies/{other['id']}", headers=key)).status_code == 404
    listed = await client.get("/v1/companies", headers=key)
    assert [c["id"] for c in listed.json()["items"]] == [own["id"]]

    url = f"/v1/companies/{own['id']}"
    updated = await client.patch(url, headers=key | {"If-Match": '"1"'}, json={"size": "ETI"})
    assert updated.status_code == 200
    assert updated.json()["size"] == "ETI"
    stale = await client.patch(url, headers=key | {"If-Match": '"1"'}, json={"size": "GE"})
    assert stale.status_code == 412
    assert (
        await client.patch(f"/v1/companies/{other['id']}", headers=key, json={"size": "GE"})
    ).status_code == 404
    assert (
        await client.post("/v1/companies", headers=key, json={"name": "x", "region_code": "53"})
    ).status_code == 403


async def test_structure_and_network_keys_see_no_company_yet(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    company = await create_company(client, admin_headers)
    structure = await create_structure(client, admin_headers)
    for key in [
        bearer(await make_key(Role.structure, (Scope.read,), structure_id=structure["id"])),
        bearer(await make_key(Role.network, (Scope.read,), network_id=uuid.uuid4())),
    ]:
        assert (await client.get(f"/v1/companies/{company['id']}", headers=key)).status_code == 404
        assert (await client.get("/v1/companies", headers=key)).json()["items"] == []
        assert (
            await client.patch(f"/v1/companies/{company['id']}", headers=key, json={"size": "GE"})
        ).status_code in (403, 404)


async def test_company_filters(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    kerjean = await create_company(
        client, admin_headers, name="Transports Kerjean", size="PME", region_code="53"
    )
    toulouse = await create_company(
        client,
        admin_headers,
        name="Airbus Blagnac",
        size="GE",
        region_code="76",
        sector="industrie",
    )

    async def ids(**params: str) -> set[str]:
        return {
            c["id"]
            for c in (
                await client.get("/v1/companies", headers=admin_headers, params=params)
            ).json()["items"]
        }

    assert toulouse["id"] in await ids(size="GE")
    assert kerjean["id"] not in await ids(size="GE")
    assert await ids(q="kerjean") == {kerjean["id"]}
    assert await ids(siret=toulouse["siret"]) == {toulouse["id"]}
    assert toulouse["id"] in await ids(sector="industrie", region="76")
