"""A legitimate key's latency, quiet and under a flood of made-up bearer tokens.

    .venv/bin/python -m bench.flood [--seconds 10] [--connections 80]

Starts jalon (``serve --demo``, one worker) on a fresh database, then measures an admin
key's GET /v1/structures?limit=20 paced at 50 requests a second: once quiet, once while
wrk sends made-up tokens from the same address over ``--connections`` connections. Also
counts PostgreSQL transactions during the flood, and what wrk was answered. Writes its
section of RELIABILITY.md. Traffic goes to 127.0.0.1 only, for a bounded time.
"""

import argparse
import asyncio
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench.results import machine, write_section
from tests.support.databases import fresh_database
from tests.support.server import jalon_server

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "RELIABILITY.md"
COMMAND = ".venv/bin/python -m bench.flood"
PATH = "/v1/structures?limit=20"
PACE_SECONDS = 0.02
# every request a new well-formed token: each is unknown, none is in any cache
FLOOD_SCRIPT = """
math.randomseed(os.time())
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
request = function()
  local token = {}
  for i = 1, 43 do
    local n = math.random(1, #alphabet)
    token[i] = alphabet:sub(n, n)
  end
  wrk.headers["Authorization"] = "Bearer jalon_" .. table.concat(token)
  return wrk.format("GET", "%s")
end
"""


def latencies(base_url: str, secret: str, seconds: float) -> list[float]:
    """Milliseconds of each paced request; any answer but a 200 stops the run."""
    found = []
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = client.get(PATH)
            elapsed = time.perf_counter() - started
            if answer.status_code != 200:
                raise RuntimeError(f"the legitimate key got {answer.status_code}: {answer.text}")
            found.append(elapsed * 1000)
            time.sleep(max(0.0, PACE_SECONDS - elapsed))
    return found


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


async def transactions(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        return count
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=80)
    args = parser.parse_args()
    with fresh_database() as url, jalon_server(url, JALON_WEBHOOKS_DISPATCH="false") as server:
        dsn = "postgresql://" + url.partition("://")[2]
        latencies(server.base_url, server.admin_secret, 2)  # warm-up
        before_quiet = asyncio.run(transactions(dsn))
        quiet = latencies(server.base_url, server.admin_secret, args.seconds)
        quiet_transactions = asyncio.run(transactions(dsn)) - before_quiet
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(FLOOD_SCRIPT % PATH)
        before = asyncio.run(transactions(dsn))
        flood = subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{args.connections}",
                f"-d{int(args.seconds) + 4}s",
                "-s",
                script.name,
                server.base_url,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)  # the flood under way, the address past its budget
        loaded = latencies(server.base_url, server.admin_secret, args.seconds)
        flood_output, _ = flood.communicate(timeout=args.seconds + 30)
        after = asyncio.run(transactions(dsn))
        Path(script.name).unlink()
    requests = _wrk_figure(flood_output, r"(\d+) requests in")
    quiet_p99, loaded_p99 = percentile(quiet, 0.99), percentile(loaded, 0.99)
    lines = [
        "## Unauthenticated flood (bench.flood)",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{COMMAND} --seconds {args.seconds:g} --connections {args.connections}`",
        f"- An admin key's `GET {PATH}` at 50 requests a second, {len(quiet)} requests quiet "
        f"and {len(loaded)} under the flood; wrk sending a new made-up token per request "
        f"over {args.connections} connections from the same address.",
        "",
        "| | p50 ms | p99 ms |",
        "|---|---|---|",
        f"| quiet | {statistics.median(quiet):.2f} | {quiet_p99:.2f} |",
        f"| under the flood | {statistics.median(loaded):.2f} | {loaded_p99:.2f} |",
        "",
        f"- p99 under the flood / quiet: **{loaded_p99 / quiet_p99:.2f}x** (target: at most 2x)",
        f"- Flood requests answered: {requests} in {int(args.seconds) + 4} s. PostgreSQL "
        f"transactions: {quiet_transactions} in the quiet run, {after - before} during the "
        "flood: the legitimate key's, the lookups of the flood's first tokens until its "
        "address ran out of budget, and the background (about 4 a second when idle)",
    ]
    write_section("flood", lines, REPORT)
    print("\n".join(lines))
    return 0


def _wrk_figure(output: str, pattern: str) -> str:
    found = re.search(pattern, output)
    return found.group(1) if found else "?"


if __name__ == "__main__":
    raise SystemExit(main())
