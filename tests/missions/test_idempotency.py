import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.databases import fresh_database
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, create_structure, mission_body
from tests.support.server import RunningServer, jalon_server


async def test_a_retry_gets_the_first_response_and_another_body_a_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure = await create_structure(client, admin_headers)
    company = await create_company(client, admin_headers)
    key = bearer(await make_key(Role.company, (Scope.read, Scope.write), company_id=company["id"]))
    body = mission_body(structure["id"])
    headers = key | {"Idempotency-Key": "order-42"}
    first = await client.post("/v1/missions", headers=headers, json=body)
    retry = await client.post("/v1/missions", headers=headers, json=body)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["location"] == first.headers["location"]
    other_body = await client.post("/v1/missions", headers=headers, json=body | {"title": "autre"})
    assert other_body.status_code == 422
    assert other_body.headers["content-type"] == "application/problem+json"
    # keys belong to the API key that sends them
    admin_same_key = await client.post(
        "/v1/missions",
        headers=admin_headers | {"Idempotency-Key": "order-42"},
        json=body | {"company_id": company["id"]},
    )
    assert admin_same_key.status_code == 409  # a real second attempt: the ref exists
    bad_key = await client.post(
        "/v1/missions", headers=key | {"Idempotency-Key": "has space"}, json=body
    )
    assert bad_key.status_code == 400


async def test_errors_are_replayed_too_but_not_server_errors(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    headers = admin_headers | {"Idempotency-Key": "k-1"}
    first = await client.post("/v1/keys", headers=headers, json={"name": "x", "role": "structure"})
    again = await client.post("/v1/keys", headers=headers, json={"name": "x", "role": "structure"})
    assert first.status_code == again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with fresh_database() as url, jalon_server(url, JALON_POOL_SIZE="10") as running:
        yield running


async def test_twenty_concurrent_identical_posts_create_one_mission(server: RunningServer) -> None:
    admin = bearer(server.admin_secret)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        structure = await create_structure(client, admin)
        company = await create_company(client, admin)
        body = mission_body(structure["id"], company_id=company["id"])
        headers = admin | {"Idempotency-Key": "race-1"}

        responses = await asyncio.gather(
            *(client.post("/v1/missions", headers=headers, json=body) for _ in range(20))
        )
        statuses = [r.status_code for r in responses]
        assert statuses == [201] * 20, [r.text for r in responses if r.status_code != 201][:2]
        assert len({r.json()["id"] for r in responses}) == 1
        listed: dict[str, Any] = (
            await client.get("/v1/missions", headers=admin, params={"company": company["id"]})
        ).json()
        assert len(listed["items"]) == 1
