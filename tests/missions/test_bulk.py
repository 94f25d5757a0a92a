import copy
from typing import Any

import httpx
import orjson
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, create_structure, mission_body


@pytest.fixture
async def setup(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> tuple[dict[str, str], dict[str, Any]]:
    structure = await create_structure(client, admin_headers, kind="ETTI")
    company = await create_company(client, admin_headers)
    key = bearer(await make_key(Role.company, (Scope.read, Scope.write), company_id=company["id"]))
    return key, structure


def feed(structure_id: str, count: int, prefix: str = "PO") -> list[dict[str, Any]]:
    return [mission_body(structure_id, external_ref=f"{prefix}-{n:05d}") for n in range(count)]


async def post_bulk(
    client: httpx.AsyncClient, key: dict[str, str], items: list[dict[str, Any]], **params: Any
) -> httpx.Response:
    return await client.post(
        "/v1/missions/bulk",
        headers=key | {"Content-Type": "application/json"},
        content=orjson.dumps(items),
        params=params,
        timeout=120,
    )


async def count_missions(client: httpx.AsyncClient, key: dict[str, str]) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/missions", headers=key, params=params)).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


async def test_replaying_a_feed_of_1000_by_ref_and_in_bulk_leaves_1000_unchanged(
    client: httpx.AsyncClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    key, structure = setup
    missions = feed(structure["id"], 1000)
    first = await post_bulk(client, key, missions, mode="partial")
    assert first.json()["counts"] == {"created": 1000, "updated": 0, "unchanged": 0, "error": 0}
    second = await post_bulk(client, key, missions, mode="partial")
    assert second.json()["counts"]["unchanged"] == 1000
    for mission in missions[:1000:50]:
        body = {k: v for k, v in mission.items() if k != "external_ref"}
        for _ in range(2):
            response = await client.put(
                f"/v1/missions/by-ref/{mission['external_ref']}", headers=key, json=body
            )
            assert response.status_code == 200
            assert response.headers["etag"] == '"1"'  # unchanged: not even a new version
    assert await count_missions(client, key) == 1000
    ids = {item["external_ref"]: item["id"] for item in first.json()["items"]}
    assert ids == {item["external_ref"]: item["id"] for item in second.json()["items"]}


async def test_partial_lands_the_valid_items_and_atomic_none(
    client: httpx.AsyncClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    key, structure = setup
    missions = feed(structure["id"], 10_000)
    broken = {n * 270 + 3 for n in range(37)}
    for index in broken:
        missions[index] = copy.deepcopy(missions[index]) | {"amount_ht": "-5"}
    atomic = await post_bulk(client, key, missions, mode="atomic")
    assert atomic.status_code == 422
    assert atomic.headers["content-type"] == "application/problem+json"
    problem = atomic.json()
    assert problem["type"] == "https://jalon.dev/problems/batch-rejected"
    assert problem["detail"] == "37 of 10000 items have errors: nothing was written"
    assert problem["written"] is False
    assert problem["counts"]["error"] == 37
    assert [item["index"] for item in problem["items"] if item["outcome"] == "error"] == sorted(
        broken
    )
    assert await count_missions(client, key) == 0

    partial = await post_bulk(client, key, missions, mode="partial")
    assert partial.status_code == 200
    report = partial.json()
    assert report["counts"] == {"created": 9963, "updated": 0, "unchanged": 0, "error": 37}
    errors = [item for item in report["items"] if item["outcome"] == "error"]
    assert {item["index"] for item in errors} == broken
    assert errors[0]["problem"]["errors"][0]["pointer"] == f"/{errors[0]['index']}/amount_ht"
    assert await count_missions(client, key) == 9963


async def test_dry_run_predicts_without_writing(
    client: httpx.AsyncClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    key, structure = setup
    missions = feed(structure["id"], 3)
    await post_bulk(client, key, missions[:2])
    changed = [missions[0], missions[1] | {"title": "Nouveau titre"}, missions[2]]
    dry = await post_bulk(client, key, changed, dry_run="true")
    assert [item["outcome"] for item in dry.json()["items"]] == ["unchanged", "updated", "created"]
    assert dry.json()["written"] is False
    assert await count_missions(client, key) == 2


async def test_ndjson_and_per_item_checks(
    client: httpx.AsyncClient,
    setup: tuple[dict[str, str], dict[str, Any]],
    admin_headers: dict[str, str],
) -> None:
    key, structure = setup
    aci = await create_structure(client, admin_headers, kind="ACI")
    items = [
        mission_body(structure["id"], external_ref="A", kind="mise_a_disposition"),
        mission_body(aci["id"], external_ref="B", kind="mise_a_disposition"),
        mission_body(structure["id"], external_ref="A"),
        {"external_ref": "C"},
    ]
    body = b"\n".join(orjson.dumps(item) for item in items) + b"\n"
    response = await client.post(
        "/v1/missions/bulk/ndjson",
        headers=key | {"Content-Type": "application/x-ndjson"},
        content=body,
        params={"mode": "partial"},
    )
    assert response.status_code == 200, response.text
    outcomes = [(i["external_ref"], i["outcome"]) for i in response.json()["items"]]
    assert outcomes == [("A", "created"), ("B", "error"), ("A", "error"), ("C", "error")]
    problems = [i["problem"] for i in response.json()["items"][1:]]
    assert problems[0]["errors"][0]["pointer"] == "/1/kind"
    assert "already in the batch" in problems[1]["detail"]


async def test_bad_batches(
    client: httpx.AsyncClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    key, _ = setup
    headers = key | {"Content-Type": "application/json"}
    assert (
        await client.post("/v1/missions/bulk", headers=headers, content=b"[{")
    ).status_code == 400
    assert (
        await client.post("/v1/missions/bulk", headers=headers, content=b'{"a": 1}')
    ).status_code == 400
    too_many = await post_bulk(client, key, [{}] * 10_001)
    assert too_many.status_code == 413


async def test_the_ndjson_operation_takes_ndjson_only(
    client: httpx.AsyncClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    key, structure = setup
    response = await client.post(
        "/v1/missions/bulk/ndjson",
        headers=key | {"Content-Type": "application/json"},
        content=orjson.dumps(feed(structure["id"], 1)),
    )
    assert response.status_code == 415, response.text
    assert response.json()["detail"] == "send application/x-ndjson, one mission per line"
    assert await count_missions(client, key) == 0


@pytest.mark.parametrize(("mode", "status"), [("partial", 200), ("atomic", 422)])
async def test_ndjson_sent_to_the_json_operation_is_read_until_its_sunset(
    client: httpx.AsyncClient,
    setup: tuple[dict[str, str], dict[str, Any]],
    mode: str,
    status: int,
) -> None:
    """As before 0.2.0, with the deprecation on the answer, a success or a problem."""
    key, structure = setup
    items = [mission_body(structure["id"]), mission_body(structure["id"], kind="nope")]
    response = await client.post(
        "/v1/missions/bulk",
        headers=key | {"Content-Type": "application/x-ndjson"},
        content=b"\n".join(orjson.dumps(item) for item in items),
        params={"mode": mode},
    )
    assert response.status_code == status, response.text
    assert response.headers["deprecation"] == "@1796169600"  # 2026-12-02, RFC 9745
    assert response.headers["sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"  # RFC 8594
    assert response.headers["link"] == '</changelog>; rel="deprecation"; type="text/markdown"'
    assert response.json()["counts"]["error"] == 1
    json_answer = await post_bulk(client, key, feed(structure["id"], 1, prefix="J"))
    assert "deprecation" not in json_answer.headers


async def test_an_ndjson_line_that_is_not_json_is_a_bad_request(
    client: httpx.AsyncClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    key, structure = setup
    body = orjson.dumps(mission_body(structure["id"])) + b"\n{not json\n"
    response = await client.post(
        "/v1/missions/bulk/ndjson",
        headers=key | {"Content-Type": "application/x-ndjson"},
        content=body,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "a line of the body is not valid JSON"
    assert await count_missions(client, key) == 0
