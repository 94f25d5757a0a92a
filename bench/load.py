"""Load benchmark: jalon against the bare ASGI baseline, same query, same machine.

    .venv/bin/python -m bench.load [--keys 1000] [--duration 10] [--connections 32]

Starts the embedded PostgreSQL (or uses JALON_DATABASE_URL's server), fills a
fresh database, starts jalon (1 worker) and the baseline (1 worker) on loopback,
loads each with wrk (1 thread, 32 connections, warm-up then --duration seconds),
and writes the figures to bench/RESULTS.md.
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from app.keys.models import Role
from app.keys.schemas import KeyCreate
from app.keys.service import issue_in
from app.migrate import upgrade_to_head
from bench.results import RESULTS, machine, write_section
from tests.support.databases import fresh_database
from tests.support.server import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "/v1/keys?limit=20"


@dataclass(frozen=True)
class Run:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    rss_mib: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    if os.environ.get("JALON_DATABASE_URL"):
        os.environ.setdefault("TEST_DATABASE_URL", os.environ["JALON_DATABASE_URL"])
    with fresh_database() as url:
        upgrade_to_head(url)
        secret = asyncio.run(seed(url, args.keys))
        dsn = "postgresql://" + url.partition("://")[2]
        jalon = measure(
            "jalon",
            [sys.executable, "-m", "app.cli", "serve"],
            {"JALON_DATABASE_URL": url, "JALON_NIR_HASH_KEY": "bench-nir-key"},
            args,
            headers={"Authorization": f"Bearer {secret}"},
        )
        baseline = measure(
            "bare ASGI + asyncpg + orjson",
            [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--no-access-log"],
            {"BENCH_DSN": dsn},
            args,
            headers={},
        )
        postgres_version = asyncio.run(server_version(dsn))
    write_results([jalon, baseline], args, postgres_version)
    print(RESULTS.read_text())
    return 0


async def seed(url: str, count: int) -> str:
    """``count`` keys to list, and the admin key that lists them."""
    connection = await asyncpg.connect("postgresql://" + url.partition("://")[2])
    try:
        await connection.execute(
            """
            INSERT INTO api_keys (id, name, role, scopes, digest, prefix)
            SELECT gen_random_uuid(), 'bench key ' || n, 'admin', ARRAY['read'],
                   sha256(('bench' || n)::bytea), 'jalon_bench'
            FROM generate_series(1, $1) AS n
            """,
            count,
        )
    finally:
        await connection.close()
    admin = await issue_in(url, KeyCreate(name="bench admin", role=Role.admin, scopes=["read"]))
    return admin.secret


def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    args: argparse.Namespace,
    headers: dict[str, str],
) -> Run:
    port = free_port()
    log = ROOT / "bench" / ".work" / f"{name.split()[0]}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **env}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=ROOT, env=environment, stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        if name == "jalon":
            wait_until_ready(base, process, log)
        else:
            wait_for_port(base, headers)
        url = base + ENDPOINT
        assert httpx.get(url, headers=headers).status_code == 200
        wrk(url, headers, connections=args.connections, seconds=3)  # warm-up
        output_text = wrk(url, headers, connections=args.connections, seconds=args.duration)
        rss = rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return Run(
        name=name,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output_text).group(1)),  # type: ignore[union-attr]
        p50_ms=latency(output_text, "50%"),
        p99_ms=latency(output_text, "99%"),
        rss_mib=rss,
    )


def wait_for_port(base: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + ENDPOINT, headers=headers, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError(base)


def wrk(url: str, headers: dict[str, str], *, connections: int, seconds: int) -> str:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors under load:\n{result.stdout}")
    return result.stdout


def latency(wrk_output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", wrk_output, re.MULTILINE)
    assert match, wrk_output
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def rss_mib(pid: int) -> float:
    """Resident memory of the process and its children (uvicorn runs in one process here)."""
    total = 0
    for process_id in [pid, *children(pid)]:
        status = Path(f"/proc/{process_id}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


async def server_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def write_results(runs: list[Run], args: argparse.Namespace, postgres_version: str) -> None:
    jalon, baseline = runs
    ratio = jalon.requests_per_second / baseline.requests_per_second
    lines = [
        "## Read endpoint against a bare ASGI baseline (`bench.load`)",
        "",
        f"- Machine: {machine()}",
        f"- PostgreSQL {postgres_version}; uvicorn, 1 worker for each app, both on loopback",
        f"- Command: `.venv/bin/python -m bench.load --keys {args.keys} "
        f"--duration {args.duration} --connections {args.connections}`",
        f"- Load: `wrk -t1 -c{args.connections} -d{args.duration}s --latency` after a 3 s warm-up, "
        f"on `GET {ENDPOINT}` ({args.keys} keys in the table; jalon authenticated with an "
        "admin key, JSON access log and metrics on)",
        "",
        "| app | req/s | p50 ms | p99 ms | RSS MiB |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {run.name} | {run.requests_per_second:,.0f} | {run.p50_ms:.2f} | "
            f"{run.p99_ms:.2f} | {run.rss_mib:.0f} |"
            for run in runs
        ),
        "",
        f"**jalon / baseline throughput: {ratio:.2f} x**",
    ]
    write_section("bench.load", lines)


if __name__ == "__main__":
    raise SystemExit(main())
