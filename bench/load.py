"""Load benchmark: jalon's hot paths against a bare ASGI baseline running the same SQL.

    .venv/bin/python -m bench.load [--scale 1.0] [--duration 10] [--rate 200]
                                   [--no-scale-out] [--profile]

Fills a fresh database with the national-scale data set of ``bench.national`` (or a
smaller one of the same shape with ``--scale 0.05``), then starts, on loopback and
one after the other, jalon (one uvicorn worker, JSON access log and metrics on) and
the baseline of ``bench.baseline`` (one worker, the SQL taken from jalon's own
compiled statements). Each endpoint is loaded with wrk (1 thread, 32 connections,
a warm-up then ``--duration`` seconds) for throughput, then at a fixed ``--rate``
below capacity for latency: with ``hey -q`` where the request can repeat, with wrk
paced by its ``delay()`` hook for mission creation (each request needs its own
``external_ref``, which hey cannot vary). RSS is read after the load. Then the
scale-out: jalon with ``--workers 2``, and two jalon processes behind nginx, both on
the same PostgreSQL. Everything lands in bench/RESULTS.md.
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from app.auth import Caller
from app.keys.models import Role
from app.keys.schemas import KeyCreate
from app.keys.service import issue_in
from app.migrate import upgrade_to_head
from app.settings import Settings
from bench import loadtools
from bench.national import generate
from bench.results import machine, write_section
from tests.support.databases import fresh_database
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parent.parent
WORK = loadtools.WORK
READ_TARGET, WRITE_TARGET, P99_TARGET_MS, RSS_TARGET_MIB = 0.5, 0.4, 20.0, 150.0
PACED_ANSWER_MS = 5.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    key: str  # "structure", "company" or "writer" (a company key)
    body: bytes = b""
    writes: bool = False

    @property
    def creates(self) -> bool:
        return self.method == "POST"

    def script(self, headers: dict[str, str], prefix: str, pace_ms: float | None = None) -> str:
        return loadtools.lua_script(
            self.method,
            self.body,
            headers,
            unique_ref=self.creates,
            prefix=prefix,
            pace_ms=pace_ms,
        )


@dataclass(frozen=True)
class Fixture:
    structure_id: str
    contract_id: str
    month: str
    company_id: str
    # missions are created for another company and structure: the lists read stay as they are
    writer_structure_id: str
    writer_company_id: str
    keys: dict[str, str]  # key name -> secret

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[endpoint.key]}"}


@dataclass(frozen=True)
class Result:
    requests_per_second: float  # the median of the rounds
    rounds: list[float]
    fixed_p50_ms: float
    fixed_p99_ms: float
    fixed_rate: float
    errors: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs per app")
    parser.add_argument("--rate", type=int, default=200, help="requests/s of the latency runs")
    parser.add_argument("--no-scale-out", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy jalon on each endpoint")
    args = parser.parse_args()
    missing = [tool for tool in ("wrk", "hey", "nginx") if shutil.which(tool) is None]
    if missing:
        print(f"missing: apt-get install {' '.join(missing)}", file=sys.stderr)
        return 1
    if os.environ.get("JALON_DATABASE_URL"):
        os.environ.setdefault("TEST_DATABASE_URL", os.environ["JALON_DATABASE_URL"])
    WORK.mkdir(parents=True, exist_ok=True)
    with fresh_database() as url:
        upgrade_to_head(url)
        dsn = "postgresql://" + url.partition("://")[2]
        started = time.perf_counter()
        counts, size, _, _ = asyncio.run(generate(dsn, args.scale))
        loading = time.perf_counter() - started
        fixture = asyncio.run(prepare(url, dsn))
        endpoints = endpoints_of(fixture)
        sql_file = write_sql(fixture)
        env = {
            "JALON_DATABASE_URL": url,
            "JALON_NIR_HASH_KEY": "bench-nir-key",
            # the limiter runs, with budgets no load of this bench reaches
            "JALON_RATE_LIMIT_PER_MINUTE": orjson.dumps(
                dict.fromkeys(("admin", "structure", "company", "network"), 10**9)
            ).decode(),
        }
        jalon_command = [sys.executable, "-m", "app.cli", "serve"]
        baseline_command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline:app",
            "--no-access-log",
        ]
        baseline_env = {"BENCH_DSN": dsn, "BENCH_SQL": str(sql_file)}
        with (
            serving("jalon", jalon_command, env) as jalon,
            serving("baseline", baseline_command, baseline_env) as bare,
        ):
            # endpoint by endpoint, jalon and the baseline in turns: both see the same
            # data and the same moments of a shared machine
            jalon_results, bare_results = {}, {}
            for endpoint in endpoints:
                mine, theirs = compare(jalon, bare, endpoint, fixture, args)
                jalon_results[endpoint.name], bare_results[endpoint.name] = mine, theirs
            jalon_rss, bare_rss = loadtools.rss_mib(jalon.pid), loadtools.rss_mib(bare.pid)
            profiles = profile_all(jalon, endpoints, fixture) if args.profile else {}
        scale_out = {} if args.no_scale_out else measure_scale_out(env, endpoints, fixture, args)
        postgres = asyncio.run(server_version(dsn))
    report(
        args,
        counts,
        size,
        loading,
        postgres,
        endpoints,
        (jalon_results, jalon_rss),
        (bare_results, bare_rss),
        scale_out,
        profiles,
    )
    return 0


async def prepare(url: str, dsn: str) -> Fixture:
    """The structure, contract, month and company the load runs on, and their keys."""
    connection = await asyncpg.connect(dsn)
    try:
        contract = await connection.fetchrow(
            "SELECT c.id, c.structure_id, c.start_date FROM contracts c"
            " WHERE c.end_date >= c.start_date + 60"
            " AND EXISTS (SELECT 1 FROM missions m WHERE m.structure_id = c.structure_id)"
            " ORDER BY c.start_date DESC LIMIT 1"
        )
        company = await connection.fetchval(
            "SELECT company_id FROM missions GROUP BY company_id ORDER BY count(*) DESC LIMIT 1"
        )
        writer = await connection.fetchrow(
            "SELECT c.id AS company_id, s.id AS structure_id FROM companies c, structures s"
            " WHERE c.id <> $1 AND s.id <> $2 AND s.kind IN ('ACI', 'EI') LIMIT 1",
            company,
            contract["structure_id"],
        )
    finally:
        await connection.close()
    structure_id = contract["structure_id"]
    structure_key = await _key(url, "bench structure", Role.structure, structure_id=structure_id)
    company_key = await _key(url, "bench company", Role.company, company_id=company)
    writer_key = await _key(url, "bench writer", Role.company, company_id=writer["company_id"])
    return Fixture(
        structure_id=str(structure_id),
        contract_id=str(contract["id"]),
        month=f"{contract['start_date']:%Y-%m}",
        company_id=str(company),
        writer_structure_id=str(writer["structure_id"]),
        keys={
            "structure": structure_key.secret,
            "company": company_key.secret,
            "writer": writer_key.secret,
        },
        writer_company_id=str(writer["company_id"]),
    )


async def _key(url: str, name: str, role: Role, **bound_to: object) -> Any:
    """A read-and-write key of ``role``, bound to its structure or company."""
    values = KeyCreate(name=name, role=role, scopes=["read", "write"], **bound_to)
    return await issue_in(url, values)


def endpoints_of(fixture: Fixture) -> list[Endpoint]:
    mission = {
        "external_ref": "set by the load script",
        "structure_id": fixture.writer_structure_id,
        "title": "Entretien des espaces verts",
        "kind": "prestation",
        "sector": "espaces_verts",
        "commune_code": "75056",
        "start_date": "2026-01-01",
        "end_date": "2026-06-30",
        "planned_hours": "1200.00",
        "amount_ht": "48000.00",
        "social_clause": {"insertion_hours_target": "400.00"},
    }
    hours = f"/v1/contracts/{fixture.contract_id}/hours/{fixture.month}"
    parcours, missions = "/v1/parcours?limit=20", "/v1/missions?limit=20"
    return [
        Endpoint(f"GET {parcours} (structure key)", "GET", parcours, "structure"),
        Endpoint(f"GET {missions} (structure key)", "GET", missions, "structure"),
        Endpoint(f"GET {missions} (company key)", "GET", missions, "company"),
        Endpoint("GET /v1/structures/{id}", "GET", f"/v1/structures/{fixture.structure_id}",
                 "structure"),
        Endpoint("GET /v1/contracts/{id}", "GET", f"/v1/contracts/{fixture.contract_id}",
                 "structure"),
        Endpoint("PUT /v1/contracts/{id}/hours/{month}", "PUT", hours, "structure",
                 b'{"hours": "120.50"}', writes=True),
        Endpoint("POST /v1/missions", "POST", "/v1/missions", "writer", orjson.dumps(mission),
                 writes=True),
    ]  # fmt: skip


def write_sql(fixture: Fixture) -> Path:
    """Hands the baseline jalon's own statements, as compiled for asyncpg."""
    from app.missions import repository as missions
    from app.parcours import repository as parcours
    from app.structures import repository as structures

    queries = {
        "parcours_page": parcours.PAGE.compiled(Caller.of_role(Role.structure)),
        "missions_page_structure": missions.PAGE.compiled(Caller.of_role(Role.structure)),
        "missions_page_company": missions.PAGE.compiled(Caller.of_role(Role.company)),
        "structure_read": structures.read_query(Role.structure),
        "contract_read": parcours.contract_query(Role.structure),
        "contract_facts": parcours.facts_query(Role.structure),
        "set_hours": parcours.SET_HOURS_QUERY,
        "structure_kinds": structures.KINDS_QUERY,
        "mission_create": missions.write_query(replace=False, one=True),
    }
    config = {
        "sql": {name: query.sql for name, query in queries.items()},
        "params": {name: list(query.names) for name, query in queries.items()},
        "keys": {
            f"Bearer {fixture.keys['structure']}": {
                "role": "structure",
                "id": fixture.structure_id,
            },
            f"Bearer {fixture.keys['company']}": {"role": "company", "id": fixture.company_id},
            f"Bearer {fixture.keys['writer']}": {
                "role": "company",
                "id": fixture.writer_company_id,
            },
        },
        "pool": Settings().direct_pool_size,
    }
    path = WORK / "sql.json"
    path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
    return path


@dataclass(frozen=True)
class Running:
    base_url: str
    pid: int
    port: int


@contextmanager
def serving(
    name: str, command: Sequence[str], env: dict[str, str], *, port: int | None = None
) -> Iterator[Running]:
    port = port or free_port()
    log = WORK / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        loadtools.wait_until_up(base_url, process, log)
        yield Running(base_url, process.pid, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def compare(
    jalon: Running,
    bare: Running,
    endpoint: Endpoint,
    fixture: Fixture,
    args: argparse.Namespace,
) -> tuple[Result, Result]:
    """Warm-up, then ``--rounds`` throughput runs of each app in turn (the median
    counts), then a latency run of each at the fixed rate."""
    apps = {"jalon": jalon, "bare": bare}
    headers = fixture.headers(endpoint)
    for tag, app in apps.items():
        url = app.base_url + endpoint.path
        check_once(url, endpoint, headers, tag)
        loadtools.wrk(url, endpoint.script(headers, f"{tag}-warm"), connections=32, seconds=3)
    runs: dict[str, list[loadtools.Run]] = {tag: [] for tag in apps}
    for round_number in range(args.rounds):
        for tag, app in apps.items():
            script = endpoint.script(headers, f"{tag}-load{round_number}")
            runs[tag].append(
                loadtools.wrk(
                    app.base_url + endpoint.path, script, connections=32, seconds=args.duration
                )
            )
    results = []
    for tag, app in apps.items():
        time.sleep(2)  # let PostgreSQL and the apps settle before the latency run
        fixed = latency(app.base_url + endpoint.path, endpoint, headers, args, tag)
        median = statistics.median(run.requests_per_second for run in runs[tag])
        result = Result(
            requests_per_second=median,
            rounds=[run.requests_per_second for run in runs[tag]],
            fixed_p50_ms=fixed.p50_ms,
            fixed_p99_ms=fixed.p99_ms,
            fixed_rate=fixed.requests_per_second,
            errors=sum(run.errors for run in runs[tag]) + fixed.errors,
        )
        print(f"{tag:8s} {endpoint.name:45s} {result}", flush=True)
        results.append(result)
    return results[0], results[1]


def latency(
    url: str, endpoint: Endpoint, headers: dict[str, str], args: argparse.Namespace, tag: str
) -> loadtools.Run:
    if endpoint.creates:
        # each connection waits between its answer and its next request: the pause is
        # the request interval less a few milliseconds of answering
        connections = loadtools.RATE_WORKERS + 1
        pace = max(1.0, connections * 1000 / args.rate - PACED_ANSWER_MS)
        paced = endpoint.script(headers, f"{tag}-rate", pace_ms=pace)
        return loadtools.wrk(url, paced, connections=connections, seconds=args.duration)
    return loadtools.hey(
        url, endpoint.method, endpoint.body, headers, rate=args.rate, seconds=args.duration
    )


def check_once(url: str, endpoint: Endpoint, headers: dict[str, str], tag: str) -> None:
    body = endpoint.body
    if endpoint.creates:
        body = body.replace(b"set by the load script", f"{tag}-check-{uuid.uuid4().hex}".encode())
    response = httpx.request(
        endpoint.method,
        url,
        headers={**headers, "Content-Type": "application/json"},
        content=body or None,
    )
    if response.status_code >= 300:
        raise RuntimeError(f"{endpoint.name} answered {response.status_code}: {response.text}")


def profile_all(app: Running, endpoints: list[Endpoint], fixture: Fixture) -> dict[str, list[str]]:
    profiles = {}
    for endpoint in endpoints:
        lua = endpoint.script(fixture.headers(endpoint), "profile")
        profiles[endpoint.name] = loadtools.profile(app.pid, app.base_url + endpoint.path, lua)
    return profiles


def measure_scale_out(
    env: dict[str, str], endpoints: list[Endpoint], fixture: Fixture, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """req/s with 2 uvicorn workers, and with 2 instances behind nginx."""
    command = [sys.executable, "-m", "app.cli", "serve"]
    found: dict[str, dict[str, float]] = {}
    with serving("jalon-workers", [*command, "--workers", "2"], env) as workers:
        found["jalon --workers 2"] = throughput(workers.base_url, endpoints, fixture, args, "w2")
    with (
        serving("jalon-a", command, env) as first,
        serving("jalon-b", command, env) as second,
        loadtools.nginx([first.port, second.port], WORK) as proxy,
    ):
        found["2 instances behind nginx"] = throughput(proxy, endpoints, fixture, args, "ngx")
    return found


def throughput(
    base_url: str, endpoints: list[Endpoint], fixture: Fixture, args: argparse.Namespace, tag: str
) -> dict[str, float]:
    found = {}
    for endpoint in endpoints:
        headers = fixture.headers(endpoint)
        url = base_url + endpoint.path
        check_once(url, endpoint, headers, tag)
        loadtools.wrk(url, endpoint.script(headers, f"{tag}-warm"), connections=32, seconds=3)
        run = loadtools.wrk(
            url, endpoint.script(headers, f"{tag}-load"), connections=32, seconds=args.duration
        )
        if run.errors:
            raise RuntimeError(f"{tag} {endpoint.name}: {run.errors} error responses")
        found[endpoint.name] = run.requests_per_second
        print(f"{tag:8s} {endpoint.name:45s} {run.requests_per_second:,.0f} req/s", flush=True)
    return found


async def server_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def report(
    args: argparse.Namespace,
    counts: dict[str, int],
    size: str,
    loading: float,
    postgres: str,
    endpoints: list[Endpoint],
    jalon: tuple[dict[str, Result], float],
    bare: tuple[dict[str, Result], float],
    scale_out: dict[str, dict[str, float]],
    profiles: dict[str, list[str]],
) -> None:
    (jalon_results, jalon_rss), (bare_results, bare_rss) = jalon, bare
    workers = loadtools.RATE_WORKERS
    lines = [
        "## Hot paths against a bare ASGI baseline (`bench.load`)",
        "",
        f"- Machine: {machine()}; PostgreSQL {postgres}; everything on loopback",
        f"- Command: `.venv/bin/python -m bench.load --scale {args.scale} "
        f"--duration {args.duration} --rounds {args.rounds} --rate {args.rate}"
        + (" --no-scale-out" if args.no_scale_out else "")
        + (" --profile" if args.profile else "")
        + "`",
        "- Data: "
        + ", ".join(f"{count:,} {table}" for table, count in counts.items())
        + f" (loaded in {loading:.0f} s, {size})",
        "- jalon: `jalon serve`, 1 uvicorn worker, API-key check, validation, JSON access "
        "log and Prometheus metrics on. Baseline: `bench/baseline.py`, raw ASGI + asyncpg + "
        "orjson, 1 worker, running jalon's own compiled SQL with the same parameters",
        f"- Throughput: `wrk -t1 -c32 -d{args.duration}s` after 3 s of warm-up, {args.rounds} "
        "rounds of jalon then the baseline, the median of each counting. Latency: "
        f"`hey -z {args.duration}s -c {workers} -q {args.rate // workers}` ({args.rate} req/s; "
        "hey's workers tick in step, so each tick is a burst of that many requests); for "
        f"mission creation, wrk with {workers + 1} connections paced by `delay()` near "
        f"{args.rate} req/s, as each request needs its own `external_ref`; the rate reached "
        "is in the table",
        f"- Targets: reads >= {READ_TARGET} x the baseline's req/s, writes >= {WRITE_TARGET} x; "
        f"p99 <= {P99_TARGET_MS:.0f} ms at the fixed rate; RSS <= {RSS_TARGET_MIB:.0f} MiB "
        "after the load; no error response",
        "",
        "| endpoint | jalon req/s (rounds) | baseline req/s (rounds) | ratio | target | "
        "jalon p50 / p99 ms at the fixed rate (req/s) | baseline p50 / p99 ms | errors |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    misses = []
    for endpoint in endpoints:
        mine, theirs = jalon_results[endpoint.name], bare_results[endpoint.name]
        ratio = mine.requests_per_second / theirs.requests_per_second
        target = WRITE_TARGET if endpoint.writes else READ_TARGET
        verdict = "met" if ratio >= target else "**missed**"
        if ratio < target:
            misses.append(f"{endpoint.name}: {ratio:.2f} x, target {target} x")
        if mine.fixed_p99_ms > P99_TARGET_MS:
            misses.append(f"{endpoint.name}: p99 {mine.fixed_p99_ms:.1f} ms at the fixed rate")
        if mine.errors:
            misses.append(f"{endpoint.name}: {mine.errors} error responses")
        lines.append(
            f"| {endpoint.name} | {mine.requests_per_second:,.0f} ({_rounds(mine)}) | "
            f"{theirs.requests_per_second:,.0f} ({_rounds(theirs)}) | {ratio:.2f} | "
            f">= {target} {verdict} | "
            f"{mine.fixed_p50_ms:.1f} / {mine.fixed_p99_ms:.1f} ({mine.fixed_rate:.0f}) | "
            f"{theirs.fixed_p50_ms:.1f} / {theirs.fixed_p99_ms:.1f} | "
            f"{mine.errors + theirs.errors} |"
        )
    if jalon_rss > RSS_TARGET_MIB:
        misses.append(f"RSS {jalon_rss:.0f} MiB")
    lines += [
        "",
        f"RSS after the load: jalon {jalon_rss:.0f} MiB, baseline {bare_rss:.0f} MiB.",
        "",
        "**Targets: all met.**" if not misses else "**Missed:** " + "; ".join(misses) + ".",
    ]
    if scale_out:
        lines += [
            "",
            "### Scale-out (same PostgreSQL, same machine: 2 cores shared with wrk and PostgreSQL)",
            "",
            "| endpoint | 1 worker | `--workers 2` | 2 instances behind nginx |",
            "|---|---:|---:|---:|",
        ]
        two_workers = scale_out["jalon --workers 2"]
        proxied = scale_out["2 instances behind nginx"]
        for endpoint in endpoints:
            single = jalon_results[endpoint.name].requests_per_second
            lines.append(
                f"| {endpoint.name} | {single:,.0f} | {two_workers[endpoint.name]:,.0f} "
                f"({two_workers[endpoint.name] / single:.2f} x) | {proxied[endpoint.name]:,.0f} "
                f"({proxied[endpoint.name] / single:.2f} x) |"
            )
    if profiles:
        lines += ["", "### Where jalon's time goes (py-spy, self time, top functions)", ""]
        for name, top in profiles.items():
            lines += [f"- {name}: " + "; ".join(top)]
    write_section("bench.load", lines)
    print("\n".join(lines))


def _rounds(result: Result) -> str:
    return ", ".join(f"{rate:,.0f}" for rate in result.rounds)


if __name__ == "__main__":
    raise SystemExit(main())
