"""The bare baseline: a raw ASGI app over asyncpg and orjson serving the very
query behind ``GET /v1/keys?limit=20``, with no framework, auth, logs or metrics.

Run: BENCH_DSN=postgresql://... uvicorn bench.baseline:app
"""

import os
from typing import Any

import asyncpg
import orjson

QUERY = """
SELECT id, name, role, scopes, structure_id, company_id, network_id, prefix,
       created_at, revoked_at
FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id LIMIT $1
"""
PAGE = 20

pool: Any = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=5, max_size=5)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    rows = await pool.fetch(QUERY, PAGE + 1)
    items = [dict(row) for row in rows[:PAGE]]
    body = orjson.dumps(
        {"items": items, "next_cursor": "next" if len(rows) > PAGE else None}, default=str
    )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
