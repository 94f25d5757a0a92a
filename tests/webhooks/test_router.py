"""/v1/webhooks: subscriptions of a key, their secret shown once, safe targets only."""

from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, create_network, create_structure

HOOK = "http://127.0.0.1:8123/hook"


@pytest.fixture
async def company_key(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> dict[str, str]:
    company = await create_company(client, admin_headers)
    return bearer(await make_key(Role.company, (Scope.read,), company_id=company["id"]))


async def test_a_subscription_shows_its_secret_once(
    client: httpx.AsyncClient, company_key: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/webhooks",
        headers=company_key,
        json={
            "url": HOOK,
            "event_types": ["mission.status_changed", "mission.created"],
            "description": "ERP",
        },
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["mission.created", "mission.status_changed"]
    assert body["state"] == "active"
    read = await client.get(f"/v1/webhooks/{body['id']}", headers=company_key)
    assert read.status_code == 200
    assert "secret" not in read.json()
    listed = await client.get("/v1/webhooks", headers=company_key)
    assert [s["id"] for s in listed.json()["items"]] == [body["id"]]
    assert "secret" not in listed.text


async def test_partners_may_not_subscribe_to_personal_data(
    client: httpx.AsyncClient,
    company_key: dict[str, str],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    network = await create_network(client, admin_headers, region_codes=["53"])
    network_key = bearer(await make_key(Role.network, (Scope.read,), network_id=network["id"]))
    for key in (company_key, network_key):
        refused = await client.post(
            "/v1/webhooks",
            headers=key,
            json={"url": HOOK, "event_types": ["mission.created", "parcours.exited"]},
        )
        assert refused.status_code == 403
        [problem] = refused.json()["errors"]
        assert problem["pointer"] == "/body/event_types"
        assert "parcours.exited" in problem["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hook",
        "http://192.168.1.20/hook",
        "http://nowhere.invalid/hook",
        "ftp://127.0.0.1/hook",
    ],
)
async def test_targets_must_be_public_unless_allowed(
    client: httpx.AsyncClient, company_key: dict[str, str], url: str
) -> None:
    refused = await client.post(
        "/v1/webhooks", headers=company_key, json={"url": url, "event_types": ["mission.created"]}
    )
    assert refused.status_code == 422, refused.text


async def test_a_key_manages_its_own_subscriptions_only(
    client: httpx.AsyncClient,
    company_key: dict[str, str],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    structure = await create_structure(client, admin_headers)
    other = bearer(await make_key(Role.structure, structure_id=structure["id"]))
    mine = (
        await client.post(
            "/v1/webhooks",
            headers=company_key,
            json={"url": HOOK, "event_types": ["mission.created"]},
        )
    ).json()
    url = f"/v1/webhooks/{mine['id']}"
    for method in ("GET", "DELETE"):
        assert (await client.request(method, url, headers=other)).status_code == 404
    assert (await client.get(f"{url}/deliveries", headers=other)).status_code == 404
    assert (await client.get(url, headers=admin_headers)).status_code == 200
    assert (await client.get("/v1/webhooks", headers=other)).json()["items"] == []

    changed = await client.patch(
        url, headers=company_key, json={"event_types": ["mission.hours_recorded"]}
    )
    assert changed.json()["event_types"] == ["mission.hours_recorded"]
    disabled = await client.patch(url, headers=company_key, json={"state": "disabled"})
    assert disabled.json()["state"] == "disabled"
    nulled = await client.patch(url, headers=company_key, json={"url": None})
    assert nulled.status_code == 422
    unsafe = await client.patch(url, headers=company_key, json={"url": "http://10.0.0.1/x"})
    assert unsafe.status_code == 422
    assert (await client.delete(url, headers=company_key)).status_code == 204
    assert (await client.get(url, headers=company_key)).status_code == 404
    missing = await client.post(f"{url}/deliveries/1/redeliver", headers=admin_headers)
    assert missing.status_code == 404
