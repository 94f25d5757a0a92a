"""Idempotency at the boundary: a retry is answered only to the live key that made the
request, after its rate limit; what the records keep holds no secret, no identity
pseudonymisation cannot reach, and no guessable digest of the request."""

import datetime as dt
import hashlib
import secrets
import uuid

import httpx
import orjson
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import Database
from app.idempotency import repository
from app.idempotency.models import IdempotencyRecord
from app.keys.models import Role, Scope
from app.main import create_app
from app.settings import Settings
from tests.support import figures
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    create_company,
    create_structure,
    mission_body,
    new_nir,
    salarie_body,
)


async def records(session: AsyncSession) -> list[IdempotencyRecord]:
    return list(
        (
            await session.scalars(
                select(IdempotencyRecord).execution_options(populate_existing=True)
            )
        ).all()
    )


async def test_a_revoked_key_gets_401_for_a_retry_of_its_own_post(
    client: httpx.AsyncClient, make_key: KeyMaker, admin_headers: dict[str, str]
) -> None:
    creator = bearer(await make_key(Role.admin))
    headers = creator | {"Idempotency-Key": "new-key-1"}
    body = {"name": "ERP", "role": "admin"}
    first = await client.post("/v1/keys", headers=headers, json=body)
    assert first.status_code == 201, first.text
    me = (await client.get("/v1/keys/me", headers=creator)).json()
    revoked = await client.post(f"/v1/keys/{me['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200, revoked.text
    retry = await client.post("/v1/keys", headers=headers, json=body)
    assert retry.status_code == 401
    assert "secret" not in retry.text


async def test_a_retry_of_a_post_that_showed_a_secret_is_told_so_and_nothing_kept_shows_it(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    key_headers = admin_headers | {"Idempotency-Key": "key-once"}
    key = await client.post("/v1/keys", headers=key_headers, json={"name": "x", "role": "admin"})
    hook_headers = admin_headers | {"Idempotency-Key": "hook-once"}
    hook_body = {"url": "http://127.0.0.1:9/hook", "event_types": ["mission.created"]}
    hook = await client.post("/v1/webhooks", headers=hook_headers, json=hook_body)
    assert key.status_code == hook.status_code == 201, (key.text, hook.text)
    shown = [key.json()["secret"], hook.json()["secret"]]
    for headers, path, body in (
        (key_headers, "/v1/keys", {"name": "x", "role": "admin"}),
        (hook_headers, "/v1/webhooks", hook_body),
    ):
        retry = await client.post(path, headers=headers, json=body)
        assert retry.status_code == 409
        assert retry.headers["content-type"] == "application/problem+json"
        assert retry.json()["type"].endswith("/secret-shown-once")
        assert not any(secret in retry.text for secret in shown)
    kept = await records(session)
    assert len(kept) == 2
    for record in kept:
        stored = orjson.dumps(
            [record.body.decode() if record.body else None, record.headers]
        ).decode()
        assert not any(secret in stored for secret in shown), stored
        assert record.secret_shown


async def test_replays_count_against_the_rate_limit_and_carry_its_headers(
    settings: Settings, connection: AsyncConnection, make_key: KeyMaker
) -> None:
    limited = settings.model_copy(update={"rate_limit_per_minute": {"company": 3}})
    app = create_app(limited, database=Database.bound_to(connection))
    admin = bearer(await make_key())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client:
        structure = await create_structure(client, admin)
        company = await create_company(client, admin)
        own = bearer(await make_key(Role.company, company_id=company["id"]))
        headers = own | {"Idempotency-Key": "po-1"}
        body = mission_body(structure["id"])
        answers = [await client.post("/v1/missions", headers=headers, json=body) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert [a.headers.get("idempotent-replayed") for a in answers[:3]] == [None, "true", "true"]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]


async def test_a_post_refused_at_authentication_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    statuses: list[int] = []
    for _ in range(1_000):
        answer = await client.post(
            "/v1/missions",
            headers=bearer(f"jalon_{secrets.token_urlsafe(32)}") | {"Idempotency-Key": "k"},
            json={},
        )
        statuses.append(answer.status_code)
    anonymous = await client.post("/v1/missions", headers={"Idempotency-Key": "k"}, json={})
    statuses.append(anonymous.status_code)
    # 401 until the address has spent its budget of failures, 429 after
    assert set(statuses) == {401, 429}
    kept = await records(session)
    figures.record(
        "idempotency before authentication",
        posts=len(statuses),
        answered_401=statuses.count(401),
        answered_429=statuses.count(429),
        rows_kept=len(kept),
    )
    assert kept == []


async def test_a_post_refused_by_authorisation_writes_nothing(
    client: httpx.AsyncClient, make_key: KeyMaker, session: AsyncSession
) -> None:
    reader = bearer(await make_key(Role.admin, (Scope.read,)))
    answer = await client.post(
        "/v1/keys", headers=reader | {"Idempotency-Key": "k"}, json={"name": "x", "role": "admin"}
    )
    assert answer.status_code == 403
    assert await records(session) == []


@pytest.fixture
async def own(
    client: httpx.AsyncClient, make_key: KeyMaker, admin_headers: dict[str, str]
) -> dict[str, str]:
    """A structure's key."""
    structure = await create_structure(client, admin_headers)
    return bearer(await make_key(Role.structure, structure_id=structure["id"]))


async def test_the_fingerprint_is_keyed_so_a_nir_cannot_be_guessed_from_it(
    client: httpx.AsyncClient, own: dict[str, str], session: AsyncSession
) -> None:
    nir = new_nir()
    body = salarie_body(nir=nir)
    created = await client.post(
        "/v1/salaries",
        headers=own | {"Idempotency-Key": "hire-1", "Content-Type": "application/json"},
        content=orjson.dumps(body),
    )
    assert created.status_code == 201, created.text
    (record,) = await records(session)
    # the attack that worked: hash every candidate body as the record was hashed
    unkeyed = hashlib.sha256(b"/v1/salaries?\n" + orjson.dumps(body)).digest()
    assert record.fingerprint != unkeyed
    assert nir.encode() not in record.fingerprint + (record.body or b"")


async def test_pseudonymisation_forgets_the_kept_answer_and_a_retry_is_not_shown_it(
    client: httpx.AsyncClient, own: dict[str, str], session: AsyncSession
) -> None:
    body = salarie_body(commune_code="29019", france_travail_id="7654321Z")
    headers = own | {"Idempotency-Key": "hire-2"}
    created = await client.post("/v1/salaries", headers=headers, json=body)
    assert created.status_code == 201, created.text
    (record,) = await records(session)
    assert record.salarie_id == uuid.UUID(created.json()["id"])
    gone = await client.delete(f"/v1/salaries/{created.json()['id']}", headers=own)
    assert gone.status_code == 204, gone.text
    retry = await client.post("/v1/salaries", headers=headers, json=body)
    assert retry.status_code == 409, retry.text  # neither the identity nor a second hire
    for value in (body["last_name"], body["first_name"], "7654321Z", "29019", "1991-04-12"):
        assert value not in retry.text
    listed = await client.get("/v1/salaries", headers=own)
    assert len(listed.json()["items"]) == 1


async def test_an_expired_record_is_no_record_and_purge_forgets_it(
    client: httpx.AsyncClient, make_key: KeyMaker, session: AsyncSession
) -> None:
    admin = bearer(await make_key())
    headers = admin | {"Idempotency-Key": "old"}
    body = {"name": f"Réseau {uuid.uuid4().hex[:6]}"}
    first = await client.post("/v1/networks", headers=headers, json=body)
    assert first.status_code == 201, first.text
    await session.execute(
        update(IdempotencyRecord).values(created_at=func.now() - dt.timedelta(hours=25))
    )
    await session.commit()
    again = await client.post("/v1/networks", headers=headers, json=body)
    assert "idempotent-replayed" not in again.headers  # run anew, not replayed
    # another caller's expired record, which no new claim of theirs would remove
    other = bearer(await make_key())
    await client.post(
        "/v1/networks",
        headers=other | {"Idempotency-Key": "o"},
        json={"name": f"Réseau {uuid.uuid4().hex[:6]}"},
    )
    await session.execute(
        update(IdempotencyRecord).values(created_at=func.now() - dt.timedelta(hours=25))
    )
    assert await repository.forget_expired(session, max_age=dt.timedelta(hours=24)) == 2
    assert await records(session) == []


@pytest.mark.parametrize("spelling", ["has space", "", "\t", "x" * 256])
async def test_a_malformed_key_is_a_400_once_the_caller_is_known(
    client: httpx.AsyncClient, admin_headers: dict[str, str], spelling: str
) -> None:
    answer = await client.post(
        "/v1/companies", headers=admin_headers | {"Idempotency-Key": spelling}, json={}
    )
    assert answer.status_code == 400
    unknown = await client.post(
        "/v1/companies", headers=bearer("jalon_x") | {"Idempotency-Key": spelling}, json={}
    )
    assert unknown.status_code == 401
