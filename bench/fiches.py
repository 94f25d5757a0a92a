"""The time to build a batch of 700 fiches salarié and to apply its return file.

    .venv/bin/python -m bench.fiches [--rounds 3]

Runs jalon in this process as in production (its own pools, each request its own
transaction) on a fresh database (the embedded PostgreSQL, or TEST_DATABASE_URL's
server): one structure, 700 salariés hired with a NIR and a complete ASP profile, each
fiche ready. Each round times, through the API, the batch's creation (700 lines checked,
built and kept, the fiches sent), its download, and its return file (700 codes applied),
then makes the fiches ready again for the next round. Writes bench/RESULTS.md.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

import httpx
import orjson

from app.keys.models import Role
from app.keys.schemas import KeyCreate
from app.keys.service import issue_in
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from bench.results import machine, write_section
from tests.support.databases import fresh_database
from tests.support.fiches import ANNEXE, PROFILE, returned
from tests.support.records import create_structure, salarie_in_parcours

LINES = 700


async def _key(url: str, role: Role, **bound_to: object) -> dict[str, str]:
    values = KeyCreate(name="bench-fiches", role=role, scopes=["read", "write"], **bound_to)
    return {"Authorization": f"Bearer {(await issue_in(url, values)).secret}"}


def _letters(number: int) -> str:
    return "".join(chr(65 + number // 26**place % 26) for place in range(3))


def _nir(number: int) -> str:
    """The NIR of a woman born in April 1991 in Brest, the ``number``-th born there."""
    body = f"2910429019{number:03d}"
    return body + f"{97 - int(body) % 97:02d}"


async def _ready_fiches(
    api: httpx.AsyncClient, own: dict[str, str], structure_id: str
) -> list[str]:
    fiches = []
    for number in range(LINES):
        salarie, _ = await salarie_in_parcours(
            api,
            own,
            last_name="Le Goff",
            first_name=f"Maëlle {_letters(number)}",  # names apart, as the NIRs
            nir=(nir := _nir(number)),
            commune_code="29019",
            france_travail_id=f"{number:07d}A",
        )
        body = PROFILE | {"nir": nir}
        assert (
            await api.put(f"/v1/salaries/{salarie['id']}/asp-profile", headers=own, json=body)
        ).status_code == 200
        created = await api.post(
            f"/v1/structures/{structure_id}/fiches-salarie",
            headers=own,
            json={"salarie_id": salarie["id"]},
        )
        assert created.status_code == 201, created.text
        fiches.append(created.json()["id"])
    return fiches


async def _make_ready(api: httpx.AsyncClient, own: dict[str, str], fiches: list[str]) -> None:
    for fiche in fiches:
        moved = await api.post(
            f"/v1/fiches-salarie/{fiche}/status", headers=own, json={"status": "ready"}
        )
        assert moved.status_code == 200, moved.text


async def measure(url: str, rounds: int) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        secret_key="bench",
        nir_hash_key="bench",
        webhooks_dispatch=False,
        rate_limit_per_minute={"admin": 0, "structure": 0},  # the setup makes 3,500 calls
    )
    app = create_app(settings)
    timings: dict[str, list[float]] = {"build": [], "download": [], "return": []}
    sizes: dict[str, int] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://jalon.bench", timeout=120
        ) as api:
            admin = await _key(url, Role.admin)
            structure = await create_structure(api, admin)
            own = await _key(url, Role.structure, structure_id=structure["id"])
            await api.post(f"/v1/structures/{structure['id']}/annexes", headers=admin, json=ANNEXE)
            started = time.perf_counter()
            fiches = await _ready_fiches(api, own, structure["id"])
            sizes["setup_s"] = round(time.perf_counter() - started)
            batches = f"/v1/structures/{structure['id']}/asp/batches"
            for _ in range(rounds):
                await _make_ready(api, own, fiches)
                started = time.perf_counter()
                built = await api.post(batches, headers=own, json={"movement": "C"})
                timings["build"].append(time.perf_counter() - started)
                assert built.status_code == 201, built.text
                assert built.json()["line_count"] == LINES
                started = time.perf_counter()
                download = await api.get(f"{batches}/{built.json()['id']}", headers=own)
                timings["download"].append(time.perf_counter() - started)
                sizes["batch_bytes"] = len(download.content)
                answer = orjson.dumps(
                    returned(orjson.loads(download.content), codeTraitement="0000")
                )
                sizes["return_bytes"] = len(answer)
                started = time.perf_counter()
                applied = await api.post(
                    f"{batches}/{built.json()['id']}/return",
                    headers=own | {"content-type": "application/json"},
                    content=answer,
                )
                timings["return"].append(time.perf_counter() - started)
                assert applied.status_code == 200, applied.text
                assert len(applied.json()["lines"]) == LINES
    return {"timings": timings, **sizes}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if os.environ.get("JALON_DATABASE_URL"):
        os.environ.setdefault("TEST_DATABASE_URL", os.environ["JALON_DATABASE_URL"])
    with fresh_database() as url:
        upgrade_to_head(url)
        result = asyncio.run(measure(url, args.rounds))
    timings = result["timings"]

    def ms(name: str) -> str:
        values = [round(t * 1000) for t in timings[name]]
        return f"{statistics.median(values):,} ({', '.join(f'{v:,}' for v in values)})"

    database = "a server" if os.environ.get("TEST_DATABASE_URL") else "the embedded one"
    lines = [
        "## Fiches salarié: a 700-line batch and its return file (`bench.fiches`)",
        "",
        f"- Machine: {machine()}; PostgreSQL on loopback ({database})",
        f"- Command: `.venv/bin/python -m bench.fiches --rounds {args.rounds}`",
        f"- Data: one ACI, {LINES} salariés hired with a NIR and a complete ASP profile, each "
        f"fiche ready (set up through the API in {result['setup_s']} s); jalon in process, "
        "each request its own transaction, as in production",
        f"- Batch file {result['batch_bytes']:,} bytes, "
        f"return file {result['return_bytes']:,} bytes",
        "",
        "| Request | ms, median (rounds) |",
        "|---|---:|",
        f"| `POST /v1/structures/{{id}}/asp/batches`: {LINES} fiches checked, built, kept "
        f"and sent | {ms('build')} |",
        f"| `GET /v1/structures/{{id}}/asp/batches/{{id}}`: the file | {ms('download')} |",
        f"| `POST …/batches/{{id}}/return`: {LINES} codes applied | {ms('return')} |",
        "",
        "Until 50a9809 the return was applied line by line (a locked read and an update "
        "per fiche): 918 ms (914, 954, 918) on the same machine. It is now one locking "
        "read, one update the driver sends for every line at once, and one per table "
        "touched besides.",
    ]
    write_section("bench.fiches", lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
