"""Events written with the changes, delivered by the dispatcher to a receiver on
127.0.0.1, signed, in order, to the keys that may read them, retried with back-off."""

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import Database
from app.keys.models import Role, Scope
from app.settings import Settings
from app.webhooks import repository
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.events import DATA_MODELS, MISSION_EVENTS, EventPayload, EventType
from app.webhooks.models import Event
from tests.support.fiches import rejected_fiche
from tests.support.keys import KeyMaker, bearer
from tests.support.receiver import Receiver, receiver
from tests.support.records import (
    IN_OCCITANIE,
    create_company,
    create_network,
    create_structure,
    mission_body,
    salarie_in_parcours,
)

ALL_TYPES = [event.value for event in EventType]
MISSION_TYPES = sorted(event.value for event in MISSION_EVENTS)


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def dispatcher_for(connection: AsyncConnection, settings: Settings, **changes: Any) -> Dispatcher:
    tuned = settings.model_copy(update={"webhook_retry_base_seconds": 0.05, **changes})
    return Dispatcher(Database.bound_to(connection).sessions, tuned)


async def drain(dispatcher: Dispatcher, *, quiet: float = 1.2, until: float = 15.0) -> None:
    """Fans out, then delivers until nothing has been due for ``quiet`` seconds (longer
    than the back-offs these tests wait out)."""
    await dispatcher.fan_out_once()
    clock = asyncio.get_running_loop().time
    deadline, last_work = clock() + until, clock()
    while clock() - last_work < quiet and clock() < deadline:
        if await dispatcher.deliver_once():
            last_work = clock()
        else:
            await asyncio.sleep(0.02)


async def subscribe(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, types: list[str]
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhooks", headers=headers, json={"url": url, "event_types": types}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_every_event_type_reaches_the_keys_that_may_read_it_signed(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    connection: AsyncConnection,
    settings: Settings,
) -> None:
    structure = await create_structure(client, admin_headers, kind="ACI")
    other_structure = await create_structure(client, admin_headers, **IN_OCCITANIE)
    company = await create_company(client, admin_headers)
    other_company = await create_company(client, admin_headers)
    network = await create_network(client, admin_headers, region_codes=[structure["region_code"]])
    rw = (Scope.read, Scope.write)
    own = bearer(await make_key(Role.structure, rw, structure_id=structure["id"]))
    keys = {
        "admin": admin_headers,
        "structure": own,
        "company": bearer(await make_key(Role.company, rw, company_id=company["id"])),
        "other company": bearer(await make_key(Role.company, rw, company_id=other_company["id"])),
        "other structure": bearer(
            await make_key(Role.structure, rw, structure_id=other_structure["id"])
        ),
        "network": bearer(await make_key(Role.network, (Scope.read,), network_id=network["id"])),
    }
    with (
        receiver() as admin_hook,
        receiver() as structure_hook,
        receiver() as company_hook,
        receiver() as other_company_hook,
        receiver() as other_structure_hook,
        receiver() as network_hook,
    ):
        hooks = {
            "admin": (admin_hook, ALL_TYPES),
            "structure": (structure_hook, ALL_TYPES),
            "company": (company_hook, MISSION_TYPES),
            "other company": (other_company_hook, MISSION_TYPES),
            "other structure": (other_structure_hook, ALL_TYPES),
            "network": (network_hook, MISSION_TYPES),
        }
        secrets = {
            name: (await subscribe(client, keys[name], hook.url, types))["secret"]
            for name, (hook, types) in hooks.items()
        }
        identity = await make_every_event(
            client, own, keys["company"], structure["id"], admin_headers
        )
        dispatcher = dispatcher_for(connection, settings)
        assert await dispatcher.scan_once(dt.date(2024, 7, 1)) >= 3  # others' data too
        assert await dispatcher.scan_once(dt.date(2024, 7, 2)) == 0  # once, not daily
        assert await dispatcher.scan_once(dt.date(2024, 7, 11)) >= 1  # June is still open
        exited = await client.post(
            f"/v1/parcours/{identity['parcours_id']}/exit",
            headers=own,
            json={"exit_date": "2024-07-14", "motif": "cdi"},
        )
        assert exited.status_code == 200, exited.text
        await drain(dispatcher)

        received = {name: hook.verified(secrets[name]) for name, (hook, _) in hooks.items()}
    assert sorted({p["type"] for p in received["admin"]}) == sorted(ALL_TYPES)
    assert sorted({p["type"] for p in received["structure"]}) == sorted(ALL_TYPES)
    assert sorted({p["type"] for p in received["company"]}) == MISSION_TYPES
    assert sorted({p["type"] for p in received["network"]}) == MISSION_TYPES
    assert received["other company"] == []
    assert received["other structure"] == []
    for payload in received["admin"]:
        data_model = DATA_MODELS[EventType(payload["type"])]
        EventPayload[data_model].model_validate(payload)  # type: ignore[valid-type]
        text = str(payload)
        assert not any(part in text for part in identity["names"]), payload
    ids = [r.headers["webhook-id"] for r in admin_hook.received]
    assert ids == sorted(ids, key=lambda i: int(i.removeprefix("evt_")))  # in order


async def make_every_event(
    client: httpx.AsyncClient,
    own: dict[str, str],
    company_key: dict[str, str],
    structure_id: str,
    admin: dict[str, str],
) -> dict[str, Any]:
    """One of each change, on dates that make the time-based events due on 2024-07-01."""
    person, parcours = await salarie_in_parcours(
        client, own, birth_date="1970-01-01", pass_start="2022-07-20", first_name="Yuna"
    )
    base = f"/v1/parcours/{parcours['id']}"

    async def ok(response: Any) -> dict[str, Any]:
        answer = await response
        assert answer.status_code in (200, 201, 204), answer.text
        return answer.json() if answer.content else {}

    contract = await ok(
        client.post(
            f"{base}/contracts",
            headers=own,
            json={
                "kind": "cddi",
                "start_date": "2024-01-15",
                "end_date": "2024-06-30",
                "weekly_hours": "26",
            },
        )
    )
    await ok(
        client.post(
            f"/v1/contracts/{contract['id']}/amendments",
            headers=own,
            json={"signed_on": "2024-06-01", "end_date": "2024-07-14"},
        )
    )
    await ok(
        client.post(
            f"{base}/derogations",
            headers=own,
            json={
                "kind": "senior_50_ans_ou_plus",
                "start_date": "2024-06-01",
                "end_date": "2024-07-20",
            },
        )
    )
    objective = await ok(
        client.post(
            f"{base}/objectives", headers=own, json={"label": "Permis", "target_date": "2024-06-30"}
        )
    )
    await ok(
        client.patch(
            f"{base}/objectives/{objective['id']}", headers=own, json={"reached_on": "2024-06-12"}
        )
    )
    mission = await ok(
        client.post(
            "/v1/missions",
            headers=company_key,
            json=mission_body(structure_id, start_date="2024-01-01", end_date="2024-12-31"),
        )
    )
    missions = f"/v1/missions/{mission['id']}"
    await ok(client.post(f"{missions}/status", headers=own, json={"status": "acceptee"}))
    await ok(client.post(f"{missions}/assignments", headers=own, json={"salarie_id": person["id"]}))
    await ok(
        client.put(
            f"{missions}/assignments/{person['id']}/hours/2024-03",
            headers=own,
            json={"hours": "20"},
        )
    )
    await rejected_fiche(client, own, admin, {"id": structure_id})
    return {
        "parcours_id": parcours["id"],
        "names": [person["first_name"], person["last_name"], person["birth_date"]],
    }


Subscriber = tuple[dict[str, str], dict[str, Any], dict[str, Any]]


@pytest.fixture
async def subscriber(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker, hook: Receiver
) -> Subscriber:
    """A company key subscribed to mission.created at ``hook``, and a structure it may
    send missions to: (key, structure, subscription)."""
    structure = await create_structure(client, admin_headers)
    company = await create_company(client, admin_headers)
    company_key = bearer(await make_key(Role.company, company_id=company["id"]))
    subscription = await subscribe(client, company_key, hook.url, ["mission.created"])
    return company_key, structure, subscription


async def test_a_receiver_failing_five_times_gets_the_event_on_the_sixth_attempt(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    settings: Settings,
    hook: Receiver,
    subscriber: Subscriber,
) -> None:
    company_key, structure, subscription = subscriber
    hook.script = [500] * 5
    created = await client.post(
        "/v1/missions", headers=company_key, json=mission_body(structure["id"])
    )
    assert created.status_code == 201

    await drain(dispatcher_for(connection, settings))

    [payload] = hook.verified(subscription["secret"])
    assert payload["data"]["mission_id"] == created.json()["id"]
    log = await client.get(f"/v1/webhooks/{subscription['id']}/deliveries", headers=company_key)
    [delivery] = log.json()["items"]
    assert delivery["state"] == "delivered"
    assert delivery["attempts"] == 6
    attempts = delivery["log"]
    assert [a["status_code"] for a in attempts] == [500] * 5 + [200]
    waits = [
        (
            dt.datetime.fromisoformat(a["next_attempt_at"])
            - dt.datetime.fromisoformat(a["attempted_at"])
        ).total_seconds()
        for a in attempts[:5]
    ]
    # the back-off, counted from when the attempt's answer came: each wait is its step
    # plus the attempt's own duration (tens of ms on a loaded machine), never less
    for wait, step in zip(waits, [0.05, 0.1, 0.2, 0.4, 0.8], strict=True):
        assert step <= wait < step + 1.0, waits
    assert attempts[-1]["next_attempt_at"] is None
    assert hook.received[0].headers["webhook-id"] == delivery["webhook_id"]


async def test_a_delivery_given_up_marks_the_subscription_failing_until_resumed(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    settings: Settings,
    hook: Receiver,
    subscriber: Subscriber,
) -> None:
    company_key, structure, subscription = subscriber
    url = f"/v1/webhooks/{subscription['id']}"
    hook.script = [503] * 100
    for _ in range(2):
        created = await client.post(
            "/v1/missions", headers=company_key, json=mission_body(structure["id"])
        )
        assert created.status_code == 201
    # gives up once a retry would come more than 0.5 s after the first failure
    dispatcher = dispatcher_for(connection, settings, webhook_give_up_hours=0.5 / 3600)
    await drain(dispatcher)

    assert (await client.get(url, headers=company_key)).json()["state"] == "failing"
    deliveries = (await client.get(f"{url}/deliveries", headers=company_key)).json()["items"]
    assert [d["state"] for d in deliveries] == ["failed", "pending"]  # the next one waits
    assert deliveries[0]["log"][-1]["next_attempt_at"] is None

    hook.script = []
    resumed = await client.patch(url, headers=company_key, json={"state": "active"})
    assert resumed.json()["state"] == "active"
    again = await client.post(
        f"{url}/deliveries/{deliveries[0]['id']}/redeliver", headers=company_key
    )
    assert again.status_code == 202
    await drain(dispatcher)
    delivered = (await client.get(f"{url}/deliveries", headers=company_key)).json()["items"]
    assert [d["state"] for d in delivered] == ["delivered", "delivered"]
    ids = [r.headers["webhook-id"] for r in hook.received]
    assert ids == [d["webhook_id"] for d in delivered]  # in order


async def test_no_event_is_kept_that_no_subscription_asks_for(
    client: httpx.AsyncClient, session: AsyncSession, subscriber: Subscriber
) -> None:
    company_key, structure, _ = subscriber
    kept = select(func.count()).select_from(Event)
    before = await session.scalar(kept.where(Event.type == "mission.status_changed"))
    mission = await client.post(
        "/v1/missions", headers=company_key, json=mission_body(structure["id"])
    )
    cancelled = await client.post(
        f"/v1/missions/{mission.json()['id']}/status",
        headers=company_key,
        json={"status": "annulee"},
    )
    assert cancelled.status_code == 200, cancelled.text
    created = await session.scalar(
        kept.where(Event.data["mission_id"].astext == mission.json()["id"])
    )
    assert created == 1  # mission.created: subscribed to
    after = await session.scalar(kept.where(Event.type == "mission.status_changed"))
    assert after == before  # nobody asked for status changes


async def test_prune_forgets_what_was_delivered_and_keeps_what_waits(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
    hook: Receiver,
    subscriber: Subscriber,
) -> None:
    company_key, structure, subscription = subscriber
    for script in ([], [503] * 100):  # the first delivered, the second still failing
        hook.script = script
        created = await client.post(
            "/v1/missions", headers=company_key, json=mission_body(structure["id"])
        )
        assert created.status_code == 201
        await drain(dispatcher_for(connection, settings), quiet=0.3)
    url = f"/v1/webhooks/{subscription['id']}/deliveries"
    before = (await client.get(url, headers=company_key)).json()["items"]
    assert [d["state"] for d in before] == ["delivered", "pending"]

    await repository.prune(session, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))

    after = (await client.get(url, headers=company_key)).json()["items"]
    assert [d["id"] for d in after] == [before[1]["id"]]
    remaining = await session.scalars(
        select(Event.id).where(Event.id.in_([d["event_id"] for d in before]))
    )
    assert list(remaining) == [before[1]["event_id"]]
