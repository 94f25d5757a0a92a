"""After pseudonymisation no column of any table holds the person's identity: not the
idempotency records, the audit log, the webhook outbox or anything else, and no log
line either. Every write goes through the API with an Idempotency-Key, so that every
copy a connector's retries could need is made."""

import hashlib
import logging
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.keys.models import Role
from app.webhooks.events import EventType
from tests.support.figures import record
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure, new_nir, record_diagnostic

FIRST, LAST, BORN = "Gwenola", "Kerbratzq", "1961-07-13"
FRANCE_TRAVAIL_ID, COMMUNE, PASS_NUMBER = "9988776Q", "29151", "999777555333"


async def all_columns(session: AsyncSession) -> list[tuple[str, str, str]]:
    """Every column of every table but the ASP's reference tables (the communes and
    countries of France and the world, which hold every commune code by design)."""
    columns = await session.execute(
        text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
            " AND table_name NOT IN ('alembic_version', 'asp_communes', 'asp_countries')"
        )
    )
    return [(table, column, data_type) for table, column, data_type in columns.all()]


async def columns_holding(session: AsyncSession, needle: str | bytes) -> list[str]:
    """Every table.column whose value contains ``needle`` (text, JSON, arrays, bytes)."""
    found = []
    as_bytes = needle if isinstance(needle, bytes) else needle.encode()
    for table, column, data_type in await all_columns(session):
        if data_type == "bytea":
            condition = f'position(:bytes in "{column}") > 0'
        else:
            condition = f'"{column}"::text LIKE :pattern'
        hits = await session.scalar(
            text(f'SELECT count(*) FROM "{table}" WHERE {condition}'),
            {"bytes": as_bytes, "pattern": f"%{needle!s}%"},
        )
        if hits:
            found.append(f"{table}.{column}")
    return found


async def post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        path, headers=headers | {"Idempotency-Key": uuid.uuid4().hex}, json=body
    )
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_no_table_and_no_log_keeps_the_identity_after_delete(
    client: httpx.AsyncClient,
    make_key: KeyMaker,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = bearer(await make_key())
    # a subscriber to every event, so that the outbox keeps what it would send
    await post(
        client,
        "/v1/webhooks",
        admin,
        {"url": "http://127.0.0.1:9/hook", "event_types": [t.value for t in EventType]},
    )
    structure = await create_structure(client, admin, kind="ACI")
    own = bearer(await make_key(Role.structure, structure_id=structure["id"]))
    nir = new_nir(sex="1", year=61, month=7)
    person = await post(
        client,
        "/v1/salaries",
        own,
        {
            "first_name": FIRST,
            "last_name": LAST,
            "birth_date": BORN,
            "gender": "femme",
            "commune_code": COMMUNE,
            "criteria": ["rsa"],
            "nir": nir,
            "france_travail_id": FRANCE_TRAVAIL_ID,
        },
    )
    put = await client.put(
        f"/v1/salaries/{person['id']}/pass-iae",
        headers=own,
        json={"number": PASS_NUMBER, "start_date": "2024-01-01"},
    )
    assert put.status_code == 200, put.text
    await post(
        client,
        f"/v1/salaries/{person['id']}/pass-iae/adjustments",
        own,
        {
            "kind": "prolongation",
            "reason": "rqth",
            "start_date": "2025-12-31",
            "end_date": "2026-03-31",
        },
    )
    await record_diagnostic(client, own, person, "2024-01-05")
    parcours = await post(
        client, "/v1/parcours", own, {"salarie_id": person["id"], "entry_date": "2024-01-15"}
    )
    base = f"/v1/parcours/{parcours['id']}"
    cddi = {"kind": "cddi", "start_date": "2024-01-15", "end_date": "2024-07-14"}
    contract = await post(client, f"{base}/contracts", own, cddi | {"weekly_hours": "26"})
    await post(
        client,
        f"/v1/contracts/{contract['id']}/amendments",
        own,
        {"signed_on": "2024-07-01", "end_date": "2024-07-31"},
    )
    note = f"{FIRST} {LAST}, née le {BORN}"
    await post(
        client,
        f"{base}/actions",
        own,
        {"kind": "entretien", "done_on": "2024-02-01", "duration_minutes": 30, "note": note},
    )
    await post(client, f"{base}/objectives", own, {"label": note, "target_date": "2024-06-30"})
    await post(client, f"{base}/freins", own, {"kind": "mobilite", "identified_on": "2024-02-01"})
    await post(
        client,
        f"{base}/derogations",
        own,
        {
            "kind": "senior_50_ans_ou_plus",
            "start_date": "2024-05-01",
            "end_date": "2024-06-30",
            "reason": note,
        },
    )
    await post(client, f"{base}/exit", own, {"exit_date": "2024-07-31", "motif": "cdi"})

    deleted = await client.delete(f"/v1/salaries/{person['id']}", headers=own)
    assert deleted.status_code == 204, deleted.text

    digest = hashlib.sha256(nir.encode()).digest()
    needles: list[str | bytes] = [
        FIRST,
        LAST,
        BORN,
        nir,
        FRANCE_TRAVAIL_ID,
        COMMUNE,
        PASS_NUMBER,
        digest,
        digest.hex(),
    ]
    kept = {str(needle): await columns_holding(session, needle) for needle in needles}
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    in_logs = [n for n in (FIRST, LAST, BORN, nir, FRANCE_TRAVAIL_ID, PASS_NUMBER) if n in logged]
    columns = await all_columns(session)
    record(
        "identity after pseudonymisation",
        tables=len({table for table, _, _ in columns}),
        columns_scanned=len(columns),
        values_looked_for=len(needles),
        found_in_columns=sum(len(where) for where in kept.values()),
        log_records_scanned=len(caplog.records),
        found_in_logs=len(in_logs),
    )
    assert kept == {str(needle): [] for needle in needles}
    assert in_logs == []
