"""The bare baseline: a raw ASGI app over asyncpg and orjson that runs, for each
endpoint of ``bench.load``, the very SQL jalon runs (handed over by ``bench.load``
in the file named by BENCH_SQL, taken from jalon's compiled statements) with the same
parameters, one connection checkout per statement, and answers the rows as JSON: no
framework, no validation, no rules, no key check (a key maps straight to its
structure or company), no logs, no metrics.

Run: BENCH_DSN=postgresql://... BENCH_SQL=sql.json uvicorn bench.baseline:app
"""

import asyncio
import datetime as dt
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson

PAGE = 20
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

pool: Any = None
config: dict[str, Any] = {}
regions: dict[str, str] = {}


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    headers = dict(scope["headers"])
    caller = config["keys"].get(headers.get(b"authorization", b"").decode())
    method, parts = scope["method"], scope["path"].strip("/").split("/")
    if caller is None:
        status, body = 401, {"title": "unknown key"}
    else:
        status, body = await route(method, parts, caller, receive)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": orjson.dumps(body, default=str)})


def statement(name: str, **values: Any) -> tuple[Any, ...]:
    """A query of jalon's, then its arguments in the order of its parameters."""
    return (config["sql"][name], *(values[param] for param in config["params"][name]))


async def route(
    method: str, parts: list[str], caller: dict[str, str], receive: Receive
) -> tuple[int, Any]:
    own = {f"caller_{caller['role']}_id": caller["id"], "limit": PAGE + 1}
    if method == "GET" and parts == ["v1", "parcours"]:
        return 200, page(await pool.fetch(*statement("parcours_page", **own)))
    if method == "GET" and parts == ["v1", "missions"]:
        return 200, page(await pool.fetch(*statement(f"missions_page_{caller['role']}", **own)))
    if method == "GET" and parts[:2] == ["v1", "structures"]:
        row = await pool.fetchrow(*statement("structure_read", structure_id=parts[2], **own))
        return 200, dict(row)
    if method == "GET" and parts[:2] == ["v1", "contracts"]:
        row = await pool.fetchrow(*statement("contract_read", contract_id=parts[2], **own))
        return 200, dict(row)
    if method == "PUT" and parts[:2] == ["v1", "contracts"]:
        hours = str(orjson.loads(await body_of(receive))["hours"])
        month = dt.date.fromisoformat(parts[4] + "-01")
        await pool.fetchrow(*statement("contract_facts", contract_id=parts[2], **own))
        set_hours = statement("set_hours", contract_id=parts[2], month=month, hours=hours)
        return 200, dict(await pool.fetchrow(*set_hours))
    if method == "POST" and parts == ["v1", "missions"]:
        return 201, await create_mission(await body_of(receive), caller)
    return 404, {"title": "not found"}


async def create_mission(raw: bytes, caller: dict[str, str]) -> dict[str, Any]:
    mission = orjson.loads(raw)
    commune = mission["commune_code"]
    departement = commune[:3] if commune.startswith("97") else commune[:2]
    clause = mission.get("social_clause")
    await pool.fetch(*statement("structure_kinds", structure_ids=[mission["structure_id"]]))
    columns = {
        "company_id": caller["id"],
        "structure_id": mission["structure_id"],
        "external_ref": mission["external_ref"],
        "title": mission["title"],
        "kind": mission["kind"],
        "sector": mission["sector"],
        "commune_code": commune,
        "departement_code": departement,
        "region_code": regions[departement],
        "start_date": dt.date.fromisoformat(mission["start_date"]),
        "end_date": dt.date.fromisoformat(mission["end_date"]),
        "planned_hours": str(mission["planned_hours"]),
        "amount_ht": str(mission["amount_ht"]),
        "social_clause": clause is not None,
        "insertion_hours_target": None if clause is None else str(clause["insertion_hours_target"]),
        "content_hash": hashlib.sha256(raw).digest(),
    }
    create = statement("mission_create", **columns)
    return dict(await pool.fetchrow(*create))


def page(rows: list[Any]) -> dict[str, Any]:
    return {
        "items": [dict(row) for row in rows[:PAGE]],
        "next_cursor": str(rows[PAGE]["id"]) if len(rows) > PAGE else None,
    }


async def body_of(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def lifespan(receive: Receive, send: Send) -> None:
    global pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            config.update(
                orjson.loads(await asyncio.to_thread(Path(os.environ["BENCH_SQL"]).read_bytes))
            )
            pool = await asyncpg.create_pool(
                os.environ["BENCH_DSN"], min_size=config["pool"], max_size=config["pool"]
            )
            rows = await pool.fetch("SELECT code, region_code FROM departements")
            regions.update({row["code"]: row["region_code"] for row in rows})
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
