"""Round trips to PostgreSQL per request, for the writes and reads issue 16 names.

    .venv/bin/python -m bench.roundtrips [--statements]

Runs jalon in this process as it runs in production (its own pools, each request its
own transaction) on a fresh database (the embedded PostgreSQL, or TEST_DATABASE_URL's
server), counts every statement asyncpg sends, BEGIN and COMMIT included, for one
request of each kind once the caches are warm (the key, the reference tables), and
writes the counts to bench/RESULTS.md (``--statements`` prints each statement too). A
count is exact: it does not depend on the machine.
"""

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import asyncpg.prepared_stmt
import httpx

from app.keys.models import Role
from app.keys.schemas import KeyCreate
from app.keys.service import issue_in
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from bench.results import write_section
from tests.support.databases import fresh_database
from tests.support.records import (
    CDDI,
    create_company,
    create_structure,
    mission_body,
    salarie_in_parcours,
)

sent: list[str] = []


def _count_every_statement() -> None:
    """Every statement sent from now on is recorded in ``sent``: asyncpg logs those a
    connection sends itself (jalon's pool, BEGIN and COMMIT); those of a prepared
    statement (SQLAlchemy prepares every one) are counted where they are sent."""
    original_init = asyncpg.Connection.__init__

    def logging_init(self: asyncpg.Connection, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.add_query_logger(lambda record: sent.append(record.query))

    asyncpg.Connection.__init__ = logging_init
    prepared = asyncpg.prepared_stmt.PreparedStatement
    original_do_execute = prepared._PreparedStatement__do_execute

    async def counted_do_execute(self: Any, executor: Any) -> Any:
        sent.append(self.get_query())
        return await original_do_execute(self, executor)

    prepared._PreparedStatement__do_execute = counted_do_execute


async def _key(url: str, role: Role, **bound_to: object) -> dict[str, str]:
    values = KeyCreate(name="roundtrips", role=role, scopes=["read", "write"], **bound_to)
    return {"Authorization": f"Bearer {(await issue_in(url, values)).secret}"}


async def measure(url: str, *, show: bool = False) -> list[tuple[str, int]]:
    settings = Settings(
        database_url=url, secret_key="bench", nir_hash_key="bench", webhooks_dispatch=False
    )
    app = create_app(settings)
    counts: list[tuple[str, int]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://jalon.bench") as api:
            admin = await _key(url, Role.admin)
            structure = await create_structure(api, admin)
            own = await _key(url, Role.structure, structure_id=structure["id"])
            company = await create_company(api, admin)
            buyer = await _key(url, Role.company, company_id=company["id"])

            async def count(name: str, call: Callable[[], Awaitable[httpx.Response]]) -> Any:
                # the same request once to warm the caches, then counted
                await call()
                sent.clear()
                response = await call()
                assert response.status_code < 300, response.text
                counts.append((name, len(sent)))
                if show:
                    print(name, *(" ".join(query.split())[:150] for query in sent), sep="\n  ")
                return response.json()

            async def new_contract() -> httpx.Response:
                _, parcours = await salarie_in_parcours(api, own)
                sent.clear()
                return await api.post(
                    f"/v1/parcours/{parcours['id']}/contracts", headers=own, json=CDDI
                )

            contract = await count("POST /v1/parcours/{id}/contracts", new_contract)
            await count(
                "POST /v1/contracts/{id}/amendments",
                lambda: api.post(
                    f"/v1/contracts/{contract['id']}/amendments",
                    headers=own,
                    json={"signed_on": "2024-06-01", "end_date": "2024-10-31"},
                ),
            )
            await count(
                "PUT /v1/contracts/{id}/hours/{month}",
                lambda: api.put(
                    f"/v1/contracts/{contract['id']}/hours/2024-03",
                    headers=own,
                    json={"hours": "98.50"},
                ),
            )
            await count(
                "GET /v1/contracts/{id}",
                lambda: api.get(f"/v1/contracts/{contract['id']}", headers=own),
            )
            await count(
                "GET /v1/structures/{id}",
                lambda: api.get(f"/v1/structures/{structure['id']}", headers=own),
            )
            await count(
                "POST /v1/missions",
                lambda: api.post("/v1/missions", headers=buyer, json=mission_body(structure["id"])),
            )
            terms = mission_body(structure["id"])
            ref = terms.pop("external_ref")
            mission = await count(
                "PUT /v1/missions/by-ref/{ref} (replayed)",
                lambda: api.put(f"/v1/missions/by-ref/{ref}", headers=buyer, json=terms),
            )
            await count(
                "PATCH /v1/missions/{id}",
                lambda: api.patch(
                    f"/v1/missions/{mission['id']}", headers=buyer, json={"title": "Tonte"}
                ),
            )
            await count(
                "PATCH /v1/structures/{id}",
                lambda: api.patch(
                    f"/v1/structures/{structure['id']}", headers=own, json={"name": "Les Roches"}
                ),
            )
    return counts


def main() -> int:
    _count_every_statement()
    if os.environ.get("JALON_DATABASE_URL"):
        os.environ.setdefault("TEST_DATABASE_URL", os.environ["JALON_DATABASE_URL"])
    with fresh_database() as url:
        upgrade_to_head(url)
        counts = asyncio.run(measure(url, show="--statements" in sys.argv))
    lines = [
        "## Round trips to PostgreSQL per request (`bench.roundtrips`)",
        "",
        "- Command: `.venv/bin/python -m bench.roundtrips` (exact counts: no machine in them)",
        "- Every statement asyncpg sends, BEGIN and COMMIT included, for one request once the "
        "key and the reference tables are cached; jalon in process, as in production",
        "",
        "| Request | Statements |",
        "|---|---:|",
        *(f"| `{name}` | {number} |" for name, number in counts),
    ]
    write_section("bench.roundtrips", lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
