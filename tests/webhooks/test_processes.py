"""Webhooks across real jalon processes: an event outlives a crash, and two instances
on one database deliver each event exactly once."""

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.support.databases import fresh_database
from tests.support.figures import record
from tests.support.receiver import Receiver, receiver
from tests.support.records import mission_body
from tests.support.server import RunningServer, company_key_and_structure, jalon_server

WEBHOOKS = {
    "JALON_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "JALON_WEBHOOK_POLL_SECONDS": "0.1",
}


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url.replace("+asyncpg", "")


def subscribe(server: RunningServer, key: dict[str, str], hook: Receiver) -> str:
    created = httpx.post(
        f"{server.base_url}/v1/webhooks",
        headers=key,
        json={"url": hook.url, "event_types": ["mission.created"]},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    secret: str = created.json()["secret"]
    return secret


def wait_for(hook: Receiver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(hook.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # anything sent twice would arrive by now


def test_an_event_written_before_a_crash_is_delivered_after_the_restart(
    database_url: str,
) -> None:
    with receiver() as hook:
        with jalon_server(database_url, JALON_WEBHOOKS_DISPATCH="false", **WEBHOOKS) as first:
            key, structure_id = company_key_and_structure(first)
            secret = subscribe(first, key, hook)
            created = httpx.post(
                f"{first.base_url}/v1/missions", headers=key, json=mission_body(structure_id)
            )
            assert created.status_code == 201
            first.process.kill()  # SIGKILL: no shutdown of any kind
            first.process.wait(timeout=10)
        assert hook.received == []
        started = time.monotonic()
        with jalon_server(database_url, **WEBHOOKS):
            wait_for(hook, 1, timeout=30)
        [payload] = hook.verified(secret)
    assert payload["type"] == "mission.created"
    assert payload["data"]["mission_id"] == created.json()["id"]
    record(
        "webhook after a crash",
        events_written_before_kill=1,
        delivered_after_restart=1,
        seconds_after_restart=round(time.monotonic() - started, 1),
    )


def test_two_instances_deliver_each_of_1000_events_exactly_once_in_order(
    database_url: str,
) -> None:
    events = 1000
    with receiver() as hook, receiver() as other_hook:
        with jalon_server(database_url, **WEBHOOKS) as one, jalon_server(database_url, **WEBHOOKS):
            key, structure_id = company_key_and_structure(one)
            secrets = [subscribe(one, key, hook), subscribe(one, key, other_hook)]
            batch = [mission_body(structure_id, external_ref=f"X-{n:04d}") for n in range(events)]
            imported = httpx.post(
                f"{one.base_url}/v1/missions/bulk",
                headers=key | {"Content-Type": "application/json"},
                content=orjson.dumps(batch),
                timeout=120,
            )
            assert imported.status_code == 200, imported.text
            started = time.monotonic()
            wait_for(hook, events, timeout=180)
            wait_for(other_hook, events, timeout=60)
            lasted = time.monotonic() - started
        results = []
        for target, secret in zip((hook, other_hook), secrets, strict=True):
            target.verified(secret)
            ids = [int(r.headers["webhook-id"].removeprefix("evt_")) for r in target.received]
            refs = Counter(r.payload["data"]["external_ref"] for r in target.received)
            results.append((ids, refs))
    for ids, refs in results:
        assert len(refs) == events
        assert set(refs.values()) == {1}, "an event arrived twice"
        assert ids == sorted(ids), "out of order"
    record(
        "webhooks, two instances",
        instances=2,
        subscriptions=2,
        events=events,
        deliveries=sum(len(ids) for ids, _ in results),
        duplicates=sum(len(ids) - len(set(ids)) for ids, _ in results),
        seconds=round(lasted, 1),
    )
