import uuid
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.problems import PROBLEM, pointers
from tests.support.records import (
    IN_OCCITANIE,
    create_network,
    create_structure,
    new_siret,
    structure_body,
)


async def test_admin_registers_a_structure_with_its_siren_and_etag(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = structure_body()
    response = await client.post("/v1/structures", headers=admin_headers, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["siren"] == body["siret"][:9]
    assert created["contact"]["email"] == "accueil@leon.example"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/structures/{created['id']}"
    read = await client.get(f"/v1/structures/{created['id']}", headers=admin_headers)
    assert read.json() == created


@pytest.mark.parametrize(
    ("siret", "rule"),
    [
        ("7328293200007", "14 digits"),
        ("7328293200007A", "digits only"),
        ("73282932000075", "checksum"),
    ],
)
async def test_invalid_siret_is_422_naming_the_field_and_rule(
    client: httpx.AsyncClient, admin_headers: dict[str, str], siret: str, rule: str
) -> None:
    response = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(siret=siret)
    )
    assert response.status_code == 422
    assert rule in pointers(response)["/body/siret"]


async def test_unknown_insee_codes_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/structures",
        headers=admin_headers,
        json=structure_body(commune_code="96001", departement_code="96", region_code="53"),
    )
    assert response.status_code == 422
    found = pointers(response)
    assert "unknown département '96'" in found["/body/departement_code"]

    response = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(region_code="99")
    )
    assert "unknown région '99'" in pointers(response)["/body/region_code"]


async def test_departement_outside_the_given_region_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(region_code="76")
    )
    assert response.status_code == 422
    assert "département 29 is in région 53, not 76" in pointers(response)["/body/departement_code"]


async def test_commune_outside_the_departement_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(commune_code="35238")
    )
    assert response.status_code == 422
    assert "not in département 29" in pointers(response)["/body/commune_code"]


async def test_duplicate_siret_is_409_naming_the_existing_structure(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first = await create_structure(client, admin_headers)
    response = await client.post(
        "/v1/structures",
        headers=admin_headers,
        json=structure_body(siret=first["siret"], name="Other"),
    )
    assert response.status_code == 409
    problem = response.json()
    assert first["id"] in problem["detail"]
    assert problem["existing_structure_id"] == first["id"]
    assert "/body/siret" in pointers(response)


async def test_unknown_fields_and_kinds_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(kind="SCOP", colour="red")
    )
    assert response.status_code == 422
    assert {"/body/kind", "/body/colour"} <= set(pointers(response))


async def test_a_siret_change_keeps_the_old_one_findable(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    old, new = structure["siret"], new_siret()
    moved = await client.patch(
        f"/v1/structures/{structure['id']}", headers=admin_headers, json={"siret": new}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["siret"] == new
    assert moved.json()["previous_sirets"] == [old]
    for siret in (old, new):
        found = await client.get("/v1/structures", headers=admin_headers, params={"siret": siret})
        assert [item["id"] for item in found.json()["items"]] == [structure["id"]], siret
    # an old SIRET stays taken
    response = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(siret=old)
    )
    assert response.status_code == 409


async def test_if_match_refuses_a_stale_update_with_412(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    url = f"/v1/structures/{structure['id']}"
    first = await client.patch(url, headers=admin_headers | {"If-Match": '"1"'}, json={"name": "A"})
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    stale = await client.patch(url, headers=admin_headers | {"If-Match": '"1"'}, json={"name": "B"})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM
    assert stale.headers["etag"] == '"2"'
    assert (await client.get(url, headers=admin_headers)).json()["name"] == "A"


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers, sectors=["espaces_verts", "textile"])
    updated = await client.patch(
        f"/v1/structures/{structure['id']}", headers=admin_headers, json={"name": "Nouveau nom"}
    )
    body = updated.json()
    assert body["name"] == "Nouveau nom"
    assert body["sectors"] == ["espaces_verts", "textile"]
    assert body["contact"] == structure["contact"]
    assert body["updated_at"] >= structure["updated_at"]


async def test_patch_territory_must_be_whole_and_consistent(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    url = f"/v1/structures/{structure['id']}"
    partial = await client.patch(url, headers=admin_headers, json={"region_code": "76"})
    assert partial.status_code == 422
    wrong = await client.patch(
        url,
        headers=admin_headers,
        json={"commune_code": "31555", "departement_code": "31", "region_code": "53"},
    )
    assert wrong.status_code == 422
    moved = await client.patch(url, headers=admin_headers, json=IN_OCCITANIE)
    assert moved.status_code == 200
    assert moved.json()["region_code"] == "76"


async def test_null_for_a_required_field_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    response = await client.patch(
        f"/v1/structures/{structure['id']}", headers=admin_headers, json={"name": None}
    )
    assert response.status_code == 422
    assert "/body/name" in pointers(response)


async def test_lists_filter_and_paginate(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    bretagne_aci = await create_structure(client, admin_headers, name="Ateliers de l'Odet")
    occitanie_ei = await create_structure(
        client,
        admin_headers,
        kind="EI",
        name="Toulouse Recyclage",
        sectors=["recyclage_reemploi"],
        **IN_OCCITANIE,
    )

    async def ids(**params: Any) -> set[str]:
        response = await client.get("/v1/structures", headers=admin_headers, params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids(kind="EI") >= {occitanie_ei["id"]}
    assert bretagne_aci["id"] not in await ids(kind="EI")
    assert occitanie_ei["id"] in await ids(region="76")
    assert bretagne_aci["id"] not in await ids(region="76")
    assert occitanie_ei["id"] in await ids(departement="31")
    assert await ids(sector="recyclage_reemploi") >= {occitanie_ei["id"]}
    assert bretagne_aci["id"] not in await ids(sector="recyclage_reemploi")
    assert await ids(q="odet") == {bretagne_aci["id"]}
    assert await ids(q=bretagne_aci["siret"][:10]) == {bretagne_aci["id"]}
    assert await ids(q="100%_") == set()

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/structures", headers=admin_headers, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 2


async def test_updated_since_returns_what_changed(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    before = await create_structure(client, admin_headers)
    changed = await create_structure(client, admin_headers)
    patched = await client.patch(
        f"/v1/structures/{changed['id']}", headers=admin_headers, json={"name": "Changed"}
    )
    since = patched.json()["updated_at"]
    response = await client.get(
        "/v1/structures", headers=admin_headers, params={"updated_since": since}
    )
    found = {item["id"] for item in response.json()["items"]}
    assert changed["id"] in found
    # in one test transaction every now() is the same instant: only compare with an older mark
    assert before["updated_at"] <= since


async def test_invalid_filters_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for params in (
        {"kind": "SCOP"},
        {"siret": "123"},
        {"region": "5"},
        {"updated_since": "yesterday"},
    ):
        response = await client.get("/v1/structures", headers=admin_headers, params=params)
        assert response.status_code == 422, params


async def test_antennes_have_their_own_siret_and_are_found_by_it(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    structure = await create_structure(client, admin_headers)
    body = {
        "siret": new_siret(),
        "name": "Antenne de Morlaix",
        "commune_code": "29151",
        "departement_code": "29",
        "region_code": "53",
    }
    created = await client.post(
        f"/v1/structures/{structure['id']}/antennes", headers=admin_headers, json=body
    )
    assert created.status_code == 201, created.text
    listed = await client.get(f"/v1/structures/{structure['id']}/antennes", headers=admin_headers)
    assert [a["siret"] for a in listed.json()["items"]] == [body["siret"]]
    found = await client.get(
        "/v1/structures", headers=admin_headers, params={"siret": body["siret"]}
    )
    assert [s["id"] for s in found.json()["items"]] == [structure["id"]]
    duplicate = await client.post(
        f"/v1/structures/{structure['id']}/antennes",
        headers=admin_headers,
        json=body | {"name": "again"},
    )
    assert duplicate.status_code == 409
    as_structure = await client.post(
        "/v1/structures", headers=admin_headers, json=structure_body(siret=body["siret"])
    )
    assert as_structure.status_code == 409


class Roles:
    def __init__(self, make_key: KeyMaker) -> None:
        self.make_key = make_key

    async def structure(self, structure_id: str, *scopes: Scope) -> dict[str, str]:
        return bearer(
            await self.make_key(
                Role.structure, scopes or (Scope.read, Scope.write), structure_id=structure_id
            )
        )

    async def network(self, network_id: str) -> dict[str, str]:
        return bearer(await self.make_key(Role.network, (Scope.read,), network_id=network_id))

    async def company(self) -> dict[str, str]:
        return bearer(
            await self.make_key(Role.company, (Scope.read, Scope.write), company_id=uuid.uuid4())
        )


@pytest.fixture
def roles(make_key: KeyMaker) -> Roles:
    return Roles(make_key)


async def test_each_role_sees_what_it_may(
    client: httpx.AsyncClient, admin_headers: dict[str, str], roles: Roles
) -> None:
    own = await create_structure(client, admin_headers)
    other = await create_structure(client, admin_headers, **IN_OCCITANIE)
    network = await create_network(client, admin_headers, region_codes=["53"])
    outside = await create_network(client, admin_headers, departement_codes=["75"])

    own_key = await roles.structure(own["id"])
    in_scope = await roles.network(network["id"])
    out_of_scope = await roles.network(outside["id"])
    company = await roles.company()

    async def status(headers: dict[str, str], structure: dict[str, Any]) -> int:
        return (await client.get(f"/v1/structures/{structure['id']}", headers=headers)).status_code

    assert await status(admin_headers, own) == 200
    assert await status(own_key, own) == 200
    assert await status(own_key, other) == 404
    assert await status(in_scope, own) == 200
    assert await status(in_scope, other) == 404
    assert await status(out_of_scope, own) == 404
    assert await status(company, own) == 404

    listed = await client.get("/v1/structures", headers=own_key)
    assert [s["id"] for s in listed.json()["items"]] == [own["id"]]
    assert (await client.get("/v1/structures", headers=company)).json()["items"] == []

    # public fields only for network and company keys
    public = (await client.get(f"/v1/structures/{own['id']}", headers=in_scope)).json()
    assert public["contact"] is None
    assert (await client.get(f"/v1/structures/{own['id']}", headers=own_key)).json()["contact"]
    by_siret = await client.get("/v1/structures", headers=company, params={"siret": own["siret"]})
    assert [s["id"] for s in by_siret.json()["items"]] == [own["id"]]
    assert by_siret.json()["items"][0]["contact"] is None


async def test_who_may_change_a_structure(
    client: httpx.AsyncClient, admin_headers: dict[str, str], roles: Roles
) -> None:
    own = await create_structure(client, admin_headers)
    other = await create_structure(client, admin_headers)
    network = await create_network(client, admin_headers, region_codes=["53"])
    own_key = await roles.structure(own["id"])

    async def patch(
        headers: dict[str, str], structure: dict[str, Any], body: dict[str, Any]
    ) -> int:
        return (
            await client.patch(f"/v1/structures/{structure['id']}", headers=headers, json=body)
        ).status_code

    assert await patch(own_key, own, {"name": "Mine"}) == 200
    assert await patch(own_key, own, {"kind": "EI"}) == 403
    assert await patch(own_key, other, {"name": "Theirs"}) == 404
    assert await patch(await roles.network(network["id"]), own, {"name": "x"}) == 403
    assert await patch(await roles.company(), own, {"name": "x"}) == 404
    assert await patch(await roles.structure(own["id"], Scope.read), own, {"name": "x"}) == 403
    assert await patch(admin_headers, own, {"kind": "EI"}) == 200

    create = await client.post("/v1/structures", headers=own_key, json=structure_body())
    assert create.status_code == 403
