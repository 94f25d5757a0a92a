import uuid

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure

PROBLEM = "application/problem+json"


async def test_admin_creates_a_key_whose_secret_is_shown_once_and_works(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/keys",
        headers=admin_headers,
        json={"name": "HRIS", "role": "admin", "scopes": ["read"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("jalon_")
    assert len(secret) >= 6 + 43  # 256 random bits
    assert body["prefix"] == secret[: len(body["prefix"])]

    me = await client.get("/v1/keys/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.json()["id"] == body["id"]
    assert "secret" not in me.json()
    listed = await client.get(f"/v1/keys/{body['id']}", headers=admin_headers)
    assert "secret" not in listed.json()


async def test_structure_key_must_name_its_structure(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/keys", headers=admin_headers, json={"name": "x", "role": "structure"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "structure_id" in response.json()["errors"][0]["detail"]

    structure_id = (await create_structure(client, admin_headers))["id"]
    response = await client.post(
        "/v1/keys",
        headers=admin_headers,
        json={"name": "x", "role": "structure", "structure_id": structure_id},
    )
    assert response.status_code == 201
    assert response.json()["structure_id"] == structure_id


async def test_a_key_cannot_be_bound_to_what_its_role_does_not_use(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/keys",
        headers=admin_headers,
        json={"name": "x", "role": "admin", "company_id": str(uuid.uuid4())},
    )
    assert response.status_code == 422


async def test_invalid_fields_are_reported_as_json_pointers(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/keys",
        headers=admin_headers,
        json={"name": "", "role": "emperor", "scopes": ["read", "fly"], "colour": "red"},
    )
    assert response.status_code == 422
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert {"/body/name", "/body/role", "/body/scopes/1", "/body/colour"} <= pointers


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "])
async def test_missing_or_unknown_key_is_401(client: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.get("/v1/keys/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_revoked_key_is_refused_at_once_in_the_revoking_process(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    secret = await make_key(Role.admin)
    me = await client.get("/v1/keys/me", headers=bearer(secret))
    assert me.status_code == 200  # now cached

    revoked = await client.post(f"/v1/keys/{me.json()['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None

    assert (await client.get("/v1/keys/me", headers=bearer(secret))).status_code == 401
    again = await client.post(f"/v1/keys/{me.json()['id']}/revoke", headers=admin_headers)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_non_admin_keys_are_forbidden_on_key_management(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    structure = bearer(await make_key(Role.structure, structure_id=uuid.uuid4()))
    for method, path in [("GET", "/v1/keys"), ("POST", f"/v1/keys/{uuid.uuid4()}/revoke")]:
        response = await client.request(method, path, headers=structure)
        assert response.status_code == 403, (method, path)
        assert response.headers["content-type"] == PROBLEM
    assert (await client.get("/v1/keys/me", headers=structure)).json()["role"] == "structure"


async def test_read_only_admin_cannot_write(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    reader = bearer(await make_key(Role.admin, scopes=(Scope.read,)))
    assert (await client.get("/v1/keys", headers=reader)).status_code == 200
    response = await client.post("/v1/keys", headers=reader, json={"name": "x", "role": "admin"})
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


async def test_unknown_key_id_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for response in [
        await client.get(f"/v1/keys/{uuid.uuid4()}", headers=admin_headers),
        await client.post(f"/v1/keys/{uuid.uuid4()}/revoke", headers=admin_headers),
    ]:
        assert response.status_code == 404
        assert response.json()["type"].endswith("/not-found")


async def test_keys_are_listed_page_by_page_without_gaps_or_repeats(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    for _ in range(6):
        await make_key(Role.network, network_id=uuid.uuid4())
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/v1/keys", headers=admin_headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 == len(set(seen))
    assert pages == 4


async def test_revoked_keys_are_listed_only_on_request(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    secret = await make_key()
    key_id = (await client.get("/v1/keys/me", headers=bearer(secret))).json()["id"]
    await client.post(f"/v1/keys/{key_id}/revoke", headers=admin_headers)
    active = await client.get("/v1/keys", headers=admin_headers)
    everything = await client.get(
        "/v1/keys", headers=admin_headers, params={"include_revoked": "true"}
    )
    assert key_id not in {item["id"] for item in active.json()["items"]}
    assert key_id in {item["id"] for item in everything.json()["items"]}


@pytest.mark.parametrize("cursor", ["garbage", "a.b", "", "x" * 3000])
async def test_malformed_cursor_is_400(
    client: httpx.AsyncClient, admin_headers: dict[str, str], cursor: str
) -> None:
    response = await client.get("/v1/keys", headers=admin_headers, params={"cursor": cursor})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == PROBLEM


async def test_tampered_cursor_is_400(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    await make_key()
    first = await client.get("/v1/keys", headers=admin_headers, params={"limit": 1})
    cursor = first.json()["next_cursor"]
    payload, signature = cursor.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    response = await client.get("/v1/keys", headers=admin_headers, params={"cursor": tampered})
    assert response.status_code == 400
    assert response.json()["type"].endswith("/cursor-invalid")


@pytest.mark.parametrize("limit", [0, 501, -1, "ten"])
async def test_limit_out_of_range_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], limit: int | str
) -> None:
    response = await client.get("/v1/keys", headers=admin_headers, params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/query/limit"


async def test_a_known_key_costs_no_database_round_trip(
    client: httpx.AsyncClient, admin_headers: dict[str, str], connection: AsyncConnection
) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        await client.get("/healthz", headers=admin_headers)
        await client.get("/v1/keys", headers=admin_headers)
        first = len(statements)
        await client.get("/v1/keys", headers=admin_headers)
        second = len(statements) - first
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", record)
    assert any("WHERE api_keys.digest =" in statement for statement in statements[:first])
    assert second < first
    assert not any("WHERE api_keys.digest =" in statement for statement in statements[first:])
