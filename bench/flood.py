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


def flooded(
    base_url: str, secret: str, seconds: float, connections: int
) -> tuple[list[float], str]:
    """The legitimate key's latencies while wrk floods, and what wrk printed."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(FLOOD_SCRIPT % PATH)
    flood = subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds) + 3}s", "-s", script.name, base_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)  # the flood under way, the address past its budget
    found = latencies(base_url, secret, seconds)
    output, _ = flood.communicate(timeout=seconds + 30)
    Path(script.name).unlink()
    return found, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per round and condition")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=80)
    parser.add_argument(
        "--pause", type=float, default=None, help="JALON_AUTH_FAILURE_PAUSE_SECONDS (default: its)"
    )
    args = parser.parse_args()
    # the legitimate key's own budget is not what is measured: 50 a second outlasts it
    env = {"JALON_WEBHOOKS_DISPATCH": "false", "JALON_RATE_LIMIT_PER_MINUTE": '{"admin": 0}'}
    if args.pause is not None:
        env["JALON_AUTH_FAILURE_PAUSE_SECONDS"] = str(args.pause)
    quiet_p99, loaded_p99, quiet_p50, loaded_p50 = [], [], [], []
    requests, transactions_quiet, transactions_loaded = 0, 0, 0
    with fresh_database() as url, jalon_server(url, **env) as server:
        dsn = "postgresql://" + url.partition("://")[2]
        latencies(server.base_url, server.admin_secret, 2)  # warm-up
        for _ in range(args.rounds):  # alternating, so that the machine's drift hits both
            before = asyncio.run(transactions(dsn))
            quiet = latencies(server.base_url, server.admin_secret, args.seconds)
            middle = asyncio.run(transactions(dsn))
            loaded, output = flooded(
                server.base_url, server.admin_secret, args.seconds, args.connections
            )
            after = asyncio.run(transactions(dsn))
            quiet_p50.append(statistics.median(quiet))
            loaded_p50.append(statistics.median(loaded))
            quiet_p99.append(percentile(quiet, 0.99))
            loaded_p99.append(percentile(loaded, 0.99))
            requests += int(_wrk_figure(output, r"(\d+) requests in") or 0)
            transactions_quiet += middle - before
            transactions_loaded += after - middle
    ratio = statistics.median(loaded_p99) / statistics.median(quiet_p99)
    command = f"{COMMAND} --seconds {args.seconds:g} --rounds {args.rounds}"
    command += f" --connections {args.connections}"
    command += f" --pause {args.pause:g}" if args.pause is not None else ""
    lines = [
        "## Unauthenticated flood (bench.flood)",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- An admin key's `GET {PATH}` at 50 requests a second for {args.seconds:g} s, quiet "
        f"then under the flood, {args.rounds} alternating rounds (medians shown); wrk "
        f"sending a new made-up token per request over {args.connections} connections from "
        "the same address as the legitimate client.",
        "",
        "| | p50 ms | p99 ms | p99 of each round |",
        "|---|---|---|---|",
        f"| quiet | {statistics.median(quiet_p50):.2f} | {statistics.median(quiet_p99):.2f} | "
        + ", ".join(f"{v:.1f}" for v in quiet_p99)
        + " |",
        f"| under the flood | {statistics.median(loaded_p50):.2f} | "
        f"{statistics.median(loaded_p99):.2f} | "
        + ", ".join(f"{v:.1f}" for v in loaded_p99)
        + " |",
        "",
        f"- p99 under the flood / quiet: **{ratio:.2f}x** (target: at most 2x)",
        f"- Flood requests answered: {requests} in all. PostgreSQL transactions: "
        f"{transactions_quiet} in the quiet runs, {transactions_loaded} in the flooded ones "
        "(the legitimate key's, the look-ups of the flood's tokens while its address still "
        "had budget, and the background: about 4 a second when idle)",
    ]
    write_section("flood", lines, REPORT)
    print("\n".join(lines))
    return 0


def _row(name: str, p50s: list[float], p99s: list[float]) -> str:
    each = ", ".join(f"{value:.1f}" for value in p99s)
    return f"| {name} | {statistics.median(p50s):.2f} | {statistics.median(p99s):.2f} | {each} |"


def _wrk_figure(output: str, pattern: str) -> str | None:
    found = re.search(pattern, output)
    return found.group(1) if found else None


if __name__ == "__main__":
    raise SystemExit(main())
