"""The audit log: one entry per successful write, field names only, append-only."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.audit import repository
from app.audit.entry import field_names, is_write, resource_id_of
from app.keys.models import Role, Scope
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from tests.support.databases import fresh_database
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_company, mission_body, salarie_body


async def entries(
    client: httpx.AsyncClient, admin: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", headers=admin, params=filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_write_is_recorded_with_field_names_never_values(
    client: httpx.AsyncClient, own: dict[str, str], admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/v1/keys/me", headers=own)).json()
    created = await client.post(
        "/v1/salaries", headers=own | {"X-Request-ID": "audit-create-1"}, json=salarie_body()
    )
    assert created.status_code == 201
    salarie_id = created.json()["id"]
    patched = await client.patch(
        f"/v1/salaries/{salarie_id}",
        headers=own,
        json={"last_name": "Kerouac-Secret", "criteria": ["rsa", "rqth"]},
    )
    assert patched.status_code == 200

    [creation, update] = await entries(client, admin_headers, resource_id=salarie_id)

    assert creation["action"] == "create_salarie"
    assert creation["method"] == "POST"
    assert creation["resource"] == "salaries"
    assert creation["status"] == 201
    assert creation["key_id"] == me["id"]
    assert creation["request_id"] == "audit-create-1"
    assert creation["fields"] == sorted(salarie_body())
    assert update["action"] == "update_salarie"
    assert update["fields"] == ["criteria", "last_name"]
    raw = orjson.dumps([creation, update]).decode()
    assert "Kerouac" not in raw
    assert "Le Goff" not in raw
    assert "1991-04-12" not in raw


async def test_refused_and_read_only_requests_leave_no_entry(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    structure: dict[str, Any],
) -> None:
    refused = await client.post("/v1/salaries", headers=own, json={"first_name": ""})
    assert refused.status_code == 422
    await client.get("/v1/salaries", headers=own)
    company = await create_company(client, admin_headers)
    checked = await client.post(
        f"/v1/missions/bulk?dry_run=true&company_id={company['id']}",
        headers=admin_headers,
        json=[mission_body(structure["id"])],
    )
    assert checked.status_code == 200, checked.text
    me = (await client.get("/v1/keys/me", headers=own)).json()
    assert await entries(client, admin_headers, key_id=me["id"]) == []
    admin = (await client.get("/v1/keys/me", headers=admin_headers)).json()
    assert await entries(client, admin_headers, key_id=admin["id"], action="bulk_missions") == []


async def test_an_idempotent_replay_is_not_a_second_write(
    client: httpx.AsyncClient, own: dict[str, str], admin_headers: dict[str, str]
) -> None:
    headers = own | {"Idempotency-Key": "audit-replay"}
    body = salarie_body()
    first = await client.post("/v1/salaries", headers=headers, json=body)
    replay = await client.post("/v1/salaries", headers=headers, json=body)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert len(await entries(client, admin_headers, resource_id=first.json()["id"])) == 1


async def test_filters_and_pages(
    client: httpx.AsyncClient, own: dict[str, str], admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/v1/keys/me", headers=own)).json()
    for _ in range(3):
        assert (await client.post("/v1/salaries", headers=own, json=salarie_body())).is_success
    mine = await entries(client, admin_headers, key_id=me["id"], action="create_salarie")
    assert len(mine) == 3
    since = await entries(client, admin_headers, key_id=me["id"], since=mine[1]["at"])
    assert [e["id"] for e in since] == [e["id"] for e in mine if e["at"] >= mine[1]["at"]]
    assert await entries(client, admin_headers, key_id=me["id"], until=mine[0]["at"]) == []

    seen, cursor = [], None
    while True:
        params = {"key_id": me["id"], "limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/audit", headers=admin_headers, params=params)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in mine]


async def test_only_admin_reads_the_log(
    client: httpx.AsyncClient, own: dict[str, str], make_key: KeyMaker
) -> None:
    assert (await client.get("/v1/audit", headers=own)).status_code == 403
    reader = bearer(await make_key(Role.admin, (Scope.read,)))
    assert (await client.get("/v1/audit", headers=reader)).status_code == 200
    assert (await client.get("/v1/audit")).status_code == 401


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
async def test_the_log_is_append_only(
    client: httpx.AsyncClient, own: dict[str, str], session: AsyncSession, statement: str
) -> None:
    assert (await client.post("/v1/salaries", headers=own, json=salarie_body())).is_success
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement))


def test_what_counts_as_a_write() -> None:
    assert is_write("PATCH", "/v1/salaries/x", "update_salarie")
    assert not is_write("GET", "/v1/salaries", "list_salaries")
    assert not is_write("POST", "/v1/contracts/validate", "validate_contract")
    assert is_write("POST", "/v1/missions/bulk", "bulk_missions")  # unless it says it wrote nothing
    assert not is_write("POST", "/v1/nowhere", None)
    assert not is_write("POST", "/metrics", "metrics")


def test_field_names_are_names_only() -> None:
    assert field_names(b'{"b": 1, "a": {"nested": 2}}') == ["a", "b"]
    assert field_names(b'{"items": [{"x": 1}]}') == ["items"]
    assert field_names(b'[{"x": 1}, {"y": 2}]') == ["x", "y"]
    assert field_names(b'{"x": 1}\n{"z": 2}\n') == ["x", "z"]
    assert field_names('{"Maëlle Le Goff": 1, "ok_name": 2}'.encode()) == ["ok_name"]
    assert field_names(b"not json") == []
    assert field_names(b"") == []


def test_the_record_is_the_path_parameter_or_the_created_one() -> None:
    assert resource_id_of({"salarie_id": "s1", "month": "2025-01"}, None) == "s1"
    assert resource_id_of({}, "/v1/missions/m1") == "m1"
    assert resource_id_of({}, None) is None


async def test_a_bulk_import_is_one_entry_naming_the_items_fields(
    client: httpx.AsyncClient, admin_headers: dict[str, str], structure: dict[str, Any]
) -> None:
    company = await create_company(client, admin_headers)
    items = [mission_body(structure["id"]) for _ in range(3)]
    imported = await client.post(
        f"/v1/missions/bulk?company_id={company['id']}",
        headers=admin_headers | {"X-Request-ID": "audit-bulk-1"},
        json=items,
    )
    assert imported.status_code == 200, imported.text
    [entry] = await entries(client, admin_headers, request_id="audit-bulk-1")
    assert entry["action"] == "bulk_missions"
    assert entry["resource_id"] is None
    assert entry["fields"] == sorted(items[0])


@pytest.fixture(scope="module")
def committed_url() -> Iterator[str]:
    """A database of their own for the tests whose writes commit for real."""
    with fresh_database() as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture
async def committed(
    settings: Settings, committed_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, KeyMaker, AsyncEngine]]:
    """A client of the app as it runs in production, on that database: (client, key
    maker, engine)."""
    app = create_app(settings.model_copy(update={"database_url": committed_url}))
    engine = create_async_engine(committed_url)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as client,
        async_sessionmaker(engine, expire_on_commit=False)() as session,
    ):
        yield client, KeyMaker(session), engine
    await engine.dispose()


async def test_an_orm_write_and_its_entry_are_one_transaction(
    committed: tuple[httpx.AsyncClient, KeyMaker, AsyncEngine],
) -> None:
    live_client, make_live_key, engine = committed
    admin = bearer(await make_live_key())
    created = await live_client.post(
        "/v1/networks", headers=admin, json={"name": f"Réseau {uuid.uuid4().hex[:8]}"}
    )
    assert created.status_code == 201, created.text
    async with engine.connect() as connection:
        written = await connection.scalar(
            text("SELECT xmin::text FROM networks WHERE id = :id"), {"id": created.json()["id"]}
        )
        entry = await connection.scalar(
            text("SELECT xmin::text FROM audit_log WHERE resource_id = :id"),
            {"id": created.json()["id"]},
        )
    assert entry is not None
    assert entry == written  # committed together, or not at all


async def test_an_orm_write_whose_entry_fails_is_not_kept(
    committed: tuple[httpx.AsyncClient, KeyMaker, AsyncEngine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live_client, make_live_key, engine = committed
    admin = bearer(await make_live_key())

    async def failing(session: AsyncSession, entries: object) -> None:
        raise RuntimeError("the audit log is unwritable")

    monkeypatch.setattr(repository, "record_all", failing)
    name = f"Réseau {uuid.uuid4().hex[:8]}"
    refused = await live_client.post("/v1/networks", headers=admin, json={"name": name})
    assert refused.status_code == 500
    async with engine.connect() as connection:
        kept = await connection.scalar(
            text("SELECT count(*) FROM networks WHERE name = :name"), {"name": name}
        )
    assert kept == 0
