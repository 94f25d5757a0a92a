"""Runs the reliability and security tests and writes RELIABILITY.md from their figures.

    .venv/bin/python -m bench.reliability

The same tests run in CI with the rest of the suite; this script only gathers the
figures they record (tests/support/figures.py) into one page. TEST_DATABASE_URL is
honoured as by the suite (unset: the embedded PostgreSQL).
"""

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

from bench.results import machine, sections_of
from tests.support.figures import FIGURES_ENV

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "RELIABILITY.md"
COMMAND = ".venv/bin/python -m bench.reliability"

# scenario -> (what is done, the test that does it)
SCENARIOS: dict[str, tuple[str, str]] = {
    "schemathesis": (
        "`schemathesis run --checks all` against a running jalon's contract, examples, "
        "fuzzing (valid and invalid data) and stateful phases (chained by the contract's "
        "links), with an admin and a structure key: every check passes; what no schema can "
        "say is named in tests/support/schemathesis_hooks.py",
        "tests/test_schemathesis.py",
    ),
    "tenant isolation": (
        "Every operation of the contract x admin, structure A, structure B, company A and B, "
        "a network covering A and one that does not, on A's records: outsiders get 403/404 "
        "and see none of A's records; company and network keys never see a salarié's "
        "identity and get 403 on personal data",
        "tests/test_tenant_isolation.py",
    ),
    "hostile input": (
        "Bodies over the limit, JSON nested 10 000 deep, 1 MB strings, invalid UTF-8, NUL, "
        "numbers beyond int64, NaN and Infinity, 0000-00-00 and 9999-12-31, look-alike digits "
        "in SIRETs and codes, unknown fields, a cursor from another list: each a problem, "
        "nothing written (SQL and HTML in text fields: stored and returned inert, separately)",
        "tests/test_hostile_input.py",
    ),
    "postgres stopped during a bulk import": (
        "PostgreSQL (owned by the test) stopped while a 10 000-mission import has written "
        "rows it has not committed: the client gets a 503 with Retry-After, none of the "
        "rows remain, jalon serves again once PostgreSQL is back",
        "tests/test_faults.py",
    ),
    "SIGTERM under load": (
        "SIGTERM while four 2 000-mission imports are being written: each finishes and "
        "is stored whole; a connection already queued is served whole, then new ones are "
        "refused; the process exits",
        "tests/test_faults.py",
    ),
    "statement over the timeout": (
        "A table locked so that reads outlast the statement timeout, on both pools: 503 "
        "problems, then every request served again on the same pools",
        "tests/test_faults.py",
    ),
    "connection storm": (
        "500 concurrent clients on three endpoints, one key over its rate budget: only "
        "200, 429 and 503 answers, jalon stays up and serves at once after",
        "tests/test_faults.py",
    ),
    "webhook after a crash": (
        "An event written, then jalon killed with SIGKILL before delivering it; a new "
        "process delivers it, signed",
        "tests/webhooks/test_processes.py",
    ),
    "webhooks, two instances": (
        "Two jalon processes on one database, two subscriptions, 1 000 missions imported: "
        "every event delivered once to each, in order",
        "tests/webhooks/test_processes.py",
    ),
    "pseudonymisation on request": (
        "DELETE /v1/salaries/{id}: identity removed, indicators compared before and after",
        "tests/salaries/test_privacy.py",
    ),
    "idempotency before authentication": (
        "1 001 POSTs with an Idempotency-Key and made-up or no bearer tokens; a revoked "
        "key's retry; a retry over the rate budget; retries of answers that showed a "
        "secret: 401, 429 with RateLimit-*, 409 secret-shown-once, nothing kept",
        "tests/idempotency/test_boundary.py",
    ),
    "failed authentication per address": (
        "Made-up tokens from one address past its budget of failures: 401s, then 429s "
        "after a pause, with RateLimit-*, and no database look-up once the budget is spent "
        "(the latency under a flood: bench.flood, below)",
        "tests/keys/test_unauthenticated_floods.py",
    ),
    "identity after pseudonymisation": (
        "A salarié written through every POST with an Idempotency-Key and a subscriber to "
        "every event, then DELETE: no column of any table, and no log line, holds their "
        "names, birth date, NIR (or its SHA-256), commune, France Travail id or PASS number",
        "tests/salaries/test_privacy_everywhere.py",
    ),
    "differencing attack": (
        "A network key subtracts cumulative periods (January 2024 to M minus to M-1) to "
        "read small cells, per structure: exact figures give every count away; the "
        "network's perturbed figures (cell-key method) do not",
        "tests/indicators/test_differencing.py",
    ),
    "purge past the retention": (
        "jalon purge on a chosen day: only salariés past the retention pseudonymised, "
        "indicators compared before and after, each pseudonymisation audited",
        "tests/salaries/test_privacy.py",
    ),
}
TESTS = [
    *sorted({test for _, test in SCENARIOS.values()}),
    "tests/test_boundary_holes.py",
    "tests/webhooks/test_hostile_receivers.py",
    "tests/webhooks/test_rules.py",
    "tests/test_outage.py",
    "tests/audit",
    "tests/test_ratelimit.py",
    "tests/test_security_headers.py",
]


def main() -> int:
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as figures_file:
        figures_path = Path(figures_file.name)
    environment = {**os.environ, FIGURES_ENV: str(figures_path)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    run = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    print(run.stdout[-3000:], run.stderr[-2000:], sep="\n")
    lines = figures_path.read_bytes().splitlines() if figures_path.exists() else []
    figures_path.unlink(missing_ok=True)
    found: dict[str, dict[str, object]] = {}
    for entry in map(orjson.loads, lines):  # a scenario may record in several tests
        found.setdefault(entry["scenario"], {}).update(entry["figures"])
    summary = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?)\s*=*$", run.stdout, re.MULTILINE)
    kept = sections_of(REPORT)  # what other scripts wrote here (bench.flood)
    page = render(found, summary[-1] if summary else "no summary", run.returncode)
    REPORT.write_text("\n\n".join([page.rstrip(), *kept]) + "\n")
    print(f"wrote {REPORT}")
    return run.returncode


def render(found: dict[str, dict[str, object]], summary: str, returncode: int) -> str:
    database = os.environ.get("TEST_DATABASE_URL") or "the embedded PostgreSQL"
    rows = []
    for scenario, (what, test) in SCENARIOS.items():
        figures = found.get(scenario)
        shown = (
            ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in figures.items())
            if figures
            else "**not measured in this run**"
        )
        rows.append(f"| {scenario} | {what} | {shown} | `{test}` |")
    return "\n".join(
        [
            "# Reliability and security",
            "",
            "Every figure comes from a test that also runs in CI (`.ci/run`, on both "
            "databases); this page is rewritten by its latest run.",
            "",
            f"- Latest run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
            f"{'passed' if returncode == 0 else 'FAILED'} ({summary})",
            f"- Machine: {machine()}",
            f"- Command: `{COMMAND}`; database: {database.split('@')[-1]}",
            "",
            "| scenario | what is done | figures of the latest run | test |",
            "|---|---|---|---|",
            *rows,
            "",
            "Also checked by the same run, without figures of their own:",
            "",
            "- `tests/test_outage.py`: PostgreSQL stopped under a running jalon: 503 "
            "within 5 s on both pools, service back without a restart.",
            "- `tests/audit`: every write audited with field names only, never values; "
            "the log refuses UPDATE, DELETE and TRUNCATE; only admin reads it.",
            "- `tests/test_ratelimit.py`: token bucket per key and role, RateLimit-* "
            "headers, 429 with Retry-After.",
            "- `tests/test_security_headers.py`: security headers on every answer, "
            "CORS off unless configured.",
            "- `tests/test_boundary_holes.py`: a staffed mission keeps its structure (PUT, "
            "bulk); a pseudonymised person's parcours takes no free text; a PASS IAE number "
            "is unique per structure, and a 409 never names a constraint or another "
            "structure's record; instants past 2199 or before 1900 (any offset) are 422s; "
            "`dry_run` is `true` or `false`, and a dry run is not audited; a key bound to "
            "nothing is a 422; every CHECK constraint a client can trip is a 422 on its field.",
            "- `tests/webhooks/test_hostile_receivers.py`: an answer trickling a byte every "
            "0.2 s is cut at the attempt's total deadline; a 100 MB answer is read 4 KiB far.",
            "- `tests/webhooks/test_rules.py`: IPv6 forms embedding a private or loopback "
            "IPv4 (NAT64, 6to4, Teredo, IPv4-compatible, IPv4-translated) and site-local "
            "addresses are refused as targets.",
            "- `tests/audit/test_audit.py`: an ORM write and its audit entry commit in one "
            "transaction (same xmin); when the entry cannot be written, neither is the write.",
            "",
            "## What the audit log can lose",
            "",
            "Writes through the ORM session (every write but two) and their audit entry are "
            "one transaction: both stand, or neither. The two fast-path writes, `POST "
            "/v1/missions` and `PUT /v1/contracts/{id}/hours/{month}`, are one statement "
            "committed on its own; their entry is written just after, on another "
            "connection. If jalon dies between the two, or the entry fails (logged, without "
            "the request's content), that write stands without its entry. Nothing else is "
            "lost: a write that did not commit has no entry, and an entry never describes a "
            "write that did not happen.",
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
