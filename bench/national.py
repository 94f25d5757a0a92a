# ruff: noqa: E501  (the generator's row tuples read best on one line each)
"""National-scale volume benchmark: a data set shaped like the IAE, loaded with COPY,
then the indicators timed through HTTP (one jalon worker) and as bare SQL.

    .venv/bin/python -m bench.national [--scale 1.0] [--runs 20]

At scale 1: 4 000 structures in every département, 1 000 000 salariés with one parcours
each over 2021-2025 (exits of every category), 2 000 000 contracts, 10 000 000 monthly
hour rows, 20 000 companies, 500 000 missions with hours and amounts, and 20 000
annexes. Foreign-key triggers are off while loading (session_replication_role = replica):
the generator writes consistent ids itself.
"""

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx

from app.indicators import queries, service
from app.indicators.catalogue import CATALOGUE, Dimension
from app.indicators.queries import Filters, Scope
from app.migrate import upgrade_to_head
from app.parcours.repository import (
    REBUILD_STRUCTURE_MONTH_CONTRACT_ENDS,
    REBUILD_STRUCTURE_MONTH_EXITS,
    REBUILD_STRUCTURE_MONTH_HOURS,
)
from app.reference.enums import EXIT_CATEGORY_OF_MOTIF, ExitMotif
from app.rules import RuleParameters
from bench.results import machine, write_section
from tests.support.databases import fresh_database
from tests.support.server import jalon_server

KINDS = ["ACI", "ACI", "EI", "EI", "AI", "ETTI", "EITI"]
SECTORS = [
    "espaces_verts",
    "batiment_travaux_publics",
    "recyclage_reemploi",
    "industrie",
    "logistique_transport",
]
MOTIFS = list(ExitMotif)
FIRST_DAY = dt.date(2021, 1, 1)


def month_add(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if os.environ.get("JALON_DATABASE_URL"):
        os.environ.setdefault("TEST_DATABASE_URL", os.environ["JALON_DATABASE_URL"])
    with fresh_database() as url:
        upgrade_to_head(url)
        dsn = "postgresql://" + url.partition("://")[2]
        started = time.perf_counter()
        counts, size, region, structure = asyncio.run(generate(dsn, args.scale))
        generation = time.perf_counter() - started
        with jalon_server(url) as server:
            timings = asyncio.run(
                measure(server.base_url, server.admin_secret, url, region, structure, args.runs)
            )
    report(args, counts, size, generation, timings)
    return 0


async def generate(dsn: str, scale: float) -> tuple[dict[str, int], str, str, str]:
    rng = random.Random(42)
    n_structures = max(20, int(4000 * scale))
    n_salaries = max(200, int(1_000_000 * scale))
    n_companies = max(20, int(20_000 * scale))
    n_missions = max(100, int(500_000 * scale))
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET session_replication_role = replica")
        departements = await connection.fetch(
            "SELECT code, region_code FROM departements ORDER BY code"
        )
        structures = []
        for n in range(n_structures):
            departement = departements[n % len(departements)]
            commune = (
                departement["code"] + "001"
                if len(departement["code"]) == 2
                else departement["code"] + "01"
            )
            structures.append(
                (uuid.uuid4(), f"{10**13 + n:014d}", f"Structure {n}", KINDS[n % len(KINDS)], commune,
                 departement["code"], departement["region_code"])
            )  # fmt: skip
        await connection.copy_records_to_table(
            "structures", records=structures,
            columns=["id", "siret", "name", "kind", "commune_code", "departement_code", "region_code"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "annexes",
            records=[(uuid.uuid4(), s[0], year, 10, 5, dt.date(year, 1, 1), dt.date(year, 12, 31))
                     for s in structures for year in range(2021, 2026)],
            columns=["id", "structure_id", "year", "posts", "modulation_rate", "start_date", "end_date"],
        )  # fmt: skip

        salarie_ids = [uuid.uuid4() for _ in range(n_salaries)]
        structure_of = [structures[n % n_structures] for n in range(n_salaries)]
        await connection.copy_records_to_table(
            "salaries",
            records=((salarie_ids[n], structure_of[n][0], "P", f"N{n}", dt.date(1970 + n % 35, 1 + n % 12, 1), "femme")
                     for n in range(n_salaries)),
            columns=["id", "structure_id", "first_name", "last_name", "birth_date", "gender"],
        )  # fmt: skip

        contract_rows: list[tuple[Any, ...]] = []
        hours_rows: list[tuple[Any, ...]] = []

        def parcours_records() -> Iterator[tuple[Any, ...]]:
            for n in range(n_salaries):
                entry = month_add(FIRST_DAY, rng.randrange(0, 54))
                exit_date = month_add(entry, rng.randrange(6, 25)) - dt.timedelta(days=1)
                parcours_id = uuid.uuid4()
                structure = structure_of[n]
                exited = exit_date <= dt.date(2025, 12, 31)
                motif = MOTIFS[n % len(MOTIFS)] if exited else None
                kind = "ctti" if structure[3] == "ETTI" else "cddi"
                for part in range(2):
                    start = month_add(entry, 6 * part)
                    contract_id = uuid.uuid4()
                    contract_rows.append(
                        (contract_id, parcours_id, salarie_ids[n], structure[0], kind, start,
                         month_add(start, 6) - dt.timedelta(days=1), 26)
                    )  # fmt: skip
                    for month in range(5):
                        hours_rows.append((contract_id, month_add(start, month), 100 + n % 20))
                yield (
                    parcours_id, salarie_ids[n], structure[0], entry,
                    "sorti" if exited else "en_cours", exit_date if exited else None,
                    motif.value if motif else None,
                    EXIT_CATEGORY_OF_MOTIF[motif].value if motif else None,
                )  # fmt: skip

        await connection.copy_records_to_table(
            "parcours", records=parcours_records(),
            columns=["id", "salarie_id", "structure_id", "entry_date", "status", "exit_date", "exit_motif", "exit_category"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "contracts", records=contract_rows,
            columns=["id", "parcours_id", "salarie_id", "structure_id", "kind", "start_date", "end_date", "weekly_hours"],
        )  # fmt: skip
        contract_rows.clear()
        await connection.copy_records_to_table(
            "monthly_hours", records=hours_rows, columns=["contract_id", "month", "hours"]
        )
        hours_rows.clear()
        # the COPY bypassed the triggers that keep the aggregates: build them once
        await connection.execute(REBUILD_STRUCTURE_MONTH_HOURS.text)
        await connection.execute(REBUILD_STRUCTURE_MONTH_EXITS.text)
        await connection.execute(REBUILD_STRUCTURE_MONTH_CONTRACT_ENDS.text)

        company_ids = [uuid.uuid4() for _ in range(n_companies)]
        await connection.copy_records_to_table(
            "companies",
            records=((company_ids[n], f"{2 * 10**13 + n:014d}", f"Company {n}", "entreprise", "53") for n in range(n_companies)),
            columns=["id", "siret", "name", "category", "region_code"],
        )  # fmt: skip
        missions, mission_hours = [], []
        for n in range(n_missions):
            structure_index = n % n_structures
            structure = structures[structure_index]
            start = month_add(FIRST_DAY, rng.randrange(0, 57))
            end = month_add(start, rng.randrange(1, 12)) - dt.timedelta(days=1)
            clause = n % 5 == 0
            mission_id = uuid.uuid4()
            missions.append(
                (mission_id, company_ids[n % n_companies], structure[0], f"M{n}", "mission", "prestation",
                 SECTORS[n % len(SECTORS)], structure[4], structure[5], structure[6], start, end,
                 500, 10_000 + n % 90_000, clause, 200 if clause else None, "en_cours",
                 hashlib.sha256(str(n).encode()).digest())
            )  # fmt: skip
            mission_hours.append((mission_id, salarie_ids[structure_index], start, 40))
        await connection.copy_records_to_table(
            "missions", records=missions,
            columns=["id", "company_id", "structure_id", "external_ref", "title", "kind", "sector",
                     "commune_code", "departement_code", "region_code", "start_date", "end_date",
                     "planned_hours", "amount_ht", "social_clause", "insertion_hours_target", "status",
                     "content_hash"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "mission_hours",
            records=mission_hours,
            columns=["mission_id", "salarie_id", "month", "hours"],
        )
        await connection.execute("ANALYZE")
        counts = {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
            for table in (
                "structures",
                "salaries",
                "parcours",
                "contracts",
                "monthly_hours",
                "missions",
                "mission_hours",
            )
        }
        size = str(
            await connection.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        )
        # one structure gets objectives, for the dashboard
        structure_id = structures[0][0]
        for code in (
            "taux_sorties_dynamiques",
            "heures_travaillees",
            "etp_realises",
            "freins_leves",
        ):
            await connection.execute(
                "INSERT INTO indicator_objectives (id, indicator, scope_kind, structure_id, period_start,"
                " period_end, target_value) VALUES ($1, $2, 'structure', $3, '2025-01-01', '2025-12-31', 1)",
                uuid.uuid4(), code, structure_id,
            )  # fmt: skip
        return counts, size, structures[0][6], str(structure_id)
    finally:
        await connection.close()


async def measure(
    base_url: str, admin_secret: str, url: str, region: str, structure_id: str, runs: int
) -> list[tuple[str, float, float]]:
    """(what, HTTP p95 ms, SQL p95 ms) for each measured query."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    headers = {"Authorization": f"Bearer {admin_secret}"}
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine)
    results = []
    cases = [
        (f"{code}, 2025 by région", code, {"from": "2025-01", "to": "2025-12", "group_by": "region"},
         {"period_start": dt.date(2025, 1, 1), "period_end": dt.date(2025, 12, 31),
          "group_by": [Dimension.region], "scope": Scope(), "filters": Filters()})
        for code in CATALOGUE
    ] + [
        (f"taux_sorties_dynamiques, monthly 2021-2025, région {region}", "taux_sorties_dynamiques",
         {"from": "2021-01", "to": "2025-12", "group_by": "month", "region": region},
         {"period_start": dt.date(2021, 1, 1), "period_end": dt.date(2025, 12, 31),
          "group_by": [Dimension.month], "scope": Scope(), "filters": Filters(region_code=region)}),
    ]  # fmt: skip
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=300) as client:
        for what, code, params, arguments in cases:
            http = await _p95(
                runs, lambda c=code, p=params: client.get(f"/v1/indicators/{c}", params=p)
            )
            sql = await _p95(runs, lambda c=code, a=arguments: _sql(sessions, c, a))
            results.append((what, http, sql))
        dashboard = {"from": "2025-01", "to": "2025-12", "structure": structure_id}
        http = await _p95(runs, lambda: client.get("/v1/indicators/dashboard", params=dashboard))
        results.append(("dashboard of one structure (4 objectives), 2025", http, float("nan")))
    await engine.dispose()
    return results


async def _sql(sessions: Any, code: str, arguments: dict[str, Any]) -> None:
    async with sessions() as session:
        # as for the admin key of the HTTP calls: no small-cell count, aggregates read
        await queries.values(
            session,
            code,
            family=CATALOGUE[code].family,
            cell_seed=None,
            exit_rule=service.exit_rule(RuleParameters()),
            **arguments,
        )


async def _p95(runs: int, call: Any) -> float:
    await call()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await call()
        timings.append((time.perf_counter() - started) * 1000)
        if isinstance(response, httpx.Response):
            response.raise_for_status()
    return statistics.quantiles(timings, n=20)[18] if len(timings) >= 2 else timings[0]


def report(
    args: argparse.Namespace,
    counts: dict[str, int],
    size: str,
    generation: float,
    timings: list[tuple[str, float, float]],
) -> None:
    lines = [
        "## National-scale indicators (`bench.national`)",
        "",
        f"- Machine: {machine()}; jalon with 1 uvicorn worker on loopback",
        "- Reads (admin key): hour indicators from `structure_month_hours`, exit and contract-"
        "length indicators from `structure_month_exits` and `structure_month_contract_ends` (each kept by a trigger in the writes' transaction), "
        "all others straight from the base tables",
        f"- Command: `.venv/bin/python -m bench.national --scale {args.scale} --runs {args.runs}`",
        "- Data: "
        + ", ".join(f"{count:,} {table}" for table, count in counts.items())
        + f"; generated and loaded with COPY in {generation:.0f} s; database size {size}",
        "- Targets: each indicator by région over a year p95 <= 200 ms; the 5-year monthly series "
        "p95 <= 300 ms; the dashboard of one structure p95 <= 100 ms",
        "",
        "| query | HTTP p95 ms | SQL p95 ms | HTTP / SQL |",
        "|---|---:|---:|---:|",
    ]
    for what, http, sql in timings:
        ratio = "" if sql != sql else f"{http / sql:.2f}"  # NaN: no bare SQL for the dashboard
        lines.append(f"| {what} | {http:,.0f} | {'' if sql != sql else f'{sql:,.0f}'} | {ratio} |")
    write_section("bench.national", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
