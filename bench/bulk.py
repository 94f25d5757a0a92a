"""Bulk ingestion: missions per second through POST /v1/missions/bulk, beside
PostgreSQL's own COPY of the same rows, in the same run.

    .venv/bin/python -m bench.bulk [--batches 5] [--batch-size 10000]

Starts the embedded PostgreSQL (or uses JALON_DATABASE_URL's server) and jalon with
one worker on loopback, sends the batches one after the other (after one warm-up batch)
as a connector would, then COPYs the same rows into a scratch copy of the missions
table; writes the figures to bench/RESULTS.md.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx
import orjson

from app.migrate import upgrade_to_head
from app.missions.repository import WRITTEN_COLUMNS
from app.missions.schemas import MissionCreate
from app.missions.service import content_hash
from bench.results import machine, write_section
from tests.support.databases import fresh_database
from tests.support.records import new_siret, structure_body
from tests.support.server import jalon_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    if os.environ.get("JALON_DATABASE_URL"):
        os.environ.setdefault("TEST_DATABASE_URL", os.environ["JALON_DATABASE_URL"])
    with fresh_database() as url:
        upgrade_to_head(url)
        with jalon_server(url) as server:
            through_api, structure_id, company_id = asyncio.run(
                send_batches(server.base_url, server.admin_secret, args)
            )
        dsn = "postgresql://" + url.partition("://")[2]
        through_copy, version = asyncio.run(copy_rows(dsn, structure_id, company_id, args))
    ratio = through_api / through_copy
    write_section(
        "bench.bulk",
        [
            "## Bulk ingestion through the API against COPY (`bench.bulk`)",
            "",
            f"- Machine: {machine()}",
            f"- PostgreSQL {version}; jalon with 1 uvicorn worker on loopback, JSON logs on",
            f"- Command: `.venv/bin/python -m bench.bulk --batches {args.batches} "
            f"--batch-size {args.batch_size}`",
            f"- API: {args.batches} batches of {args.batch_size} new missions, `mode=partial`, "
            "sent one after the other by a company key (after one warm-up batch); each "
            "answered item by item",
            "- COPY: asyncpg `copy_records_to_table` of the same rows into a scratch table "
            "shaped like `missions` (no per-item checks, no report)",
            "",
            "| path | missions/s |",
            "|---|---:|",
            f"| POST /v1/missions/bulk | {through_api:,.0f} |",
            f"| COPY | {through_copy:,.0f} |",
            "",
            f"**API / COPY: {ratio:.2f}** (target: at least 20 000 missions/s through the API)",
        ],
    )
    print(f"API {through_api:,.0f}/s, COPY {through_copy:,.0f}/s, ratio {ratio:.2f}")
    return 0


def missions(structure_id: str, prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "external_ref": f"{prefix}-{n:06d}",
            "structure_id": structure_id,
            "title": f"Mission {n}",
            "kind": "prestation",
            "sector": "espaces_verts",
            "commune_code": "29019",
            "start_date": "2025-03-01",
            "end_date": "2025-10-31",
            "planned_hours": str(100 + n % 900),
            "amount_ht": f"{1000 + n % 50000}.50",
        }
        for n in range(count)
    ]


async def send_batches(
    base_url: str, admin_secret: str, args: argparse.Namespace
) -> tuple[float, str, str]:
    admin = {"Authorization": f"Bearer {admin_secret}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        structure = (
            await client.post("/v1/structures", headers=admin, json=structure_body())
        ).json()
        company = (
            await client.post(
                "/v1/companies",
                headers=admin,
                json={"siret": new_siret(), "name": "Bench SA", "region_code": "53"},
            )
        ).json()
        key = (
            await client.post(
                "/v1/keys",
                headers=admin,
                json={
                    "name": "bench",
                    "role": "company",
                    "scopes": ["read", "write"],
                    "company_id": company["id"],
                },
            )
        ).json()["secret"]
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        bodies = [
            orjson.dumps(missions(structure["id"], f"B{batch}", args.batch_size))
            for batch in range(args.batches + 1)
        ]
        await post(client, headers, bodies[0], args.batch_size)  # warm-up
        started = time.perf_counter()
        for body in bodies[1:]:
            await post(client, headers, body, args.batch_size)
        elapsed = time.perf_counter() - started
    return args.batches * args.batch_size / elapsed, structure["id"], company["id"]


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes, expected: int
) -> None:
    response = await client.post(
        "/v1/missions/bulk", headers=headers, content=body, params={"mode": "partial"}
    )
    response.raise_for_status()
    created = response.json()["counts"]["created"]
    if created != expected:
        raise RuntimeError(f"{created} created, not {expected}: {response.text[:500]}")


async def copy_rows(
    dsn: str, structure_id: str, company_id: str, args: argparse.Namespace
) -> tuple[float, str]:
    rows = []
    for batch in range(args.batches):
        for item in missions(structure_id, f"C{batch}", args.batch_size):
            mission = MissionCreate.model_validate(item)
            rows.append(
                (
                    uuid.UUID(company_id),
                    mission.structure_id,
                    mission.external_ref,
                    mission.title,
                    mission.kind.value,
                    mission.sector.value,
                    mission.commune_code,
                    "29",
                    "53",
                    mission.start_date,
                    mission.end_date,
                    mission.planned_hours,
                    mission.amount_ht,
                    False,
                    None,
                    content_hash(mission),
                    "proposee",
                )
            )
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "CREATE TABLE bench_copy (LIKE missions INCLUDING DEFAULTS);"
            " ALTER TABLE bench_copy ALTER COLUMN id SET DEFAULT gen_random_uuid()"
        )
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "bench_copy",
            records=rows,
            columns=[*(column.name for column in WRITTEN_COLUMNS), "status"],
        )
        elapsed = time.perf_counter() - started
        version = str(await connection.fetchval("SHOW server_version"))
        await connection.execute("DROP TABLE bench_copy")
    finally:
        await connection.close()
    return len(rows) / elapsed, version


if __name__ == "__main__":
    sys.exit(main())
