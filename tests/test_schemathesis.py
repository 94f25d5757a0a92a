"""`schemathesis run --checks all` against the served contract, as anyone can run it.

A jalon process on loopback serves the demo data; schemathesis reads its contract and
runs every check it has (status codes, schemas, headers, content types, positive data
accepted and negative data refused, authentication, resources used after deletion...)
over generated requests, valid and invalid, in its examples, fuzzing and stateful
phases (the stateful one chains operations by the contract's links), once with an
admin key and once with a structure key. What no JSON Schema can say is named in
tests/support/schemathesis_hooks.py, each constraint stated in the contract. The
number of cases is bounded (EXAMPLES per operation and phase) and the seed is fixed,
so that a run is repeatable."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.databases import fresh_database
from tests.support.figures import record
from tests.support.keys import bearer
from tests.support.server import PROJECT_ROOT, RunningServer, issue_key, jalon_server

EXAMPLES = int(os.environ.get("JALON_SCHEMATHESIS_EXAMPLES", "10"))
SEED = "95754247182365289486724531610267873993"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with (
        fresh_database() as url,
        jalon_server(
            url.replace("+asyncpg", ""),
            # thousands of requests, hundreds of them without a key on purpose: the
            # limits are tested on their own, here they would only slow the run
            JALON_RATE_LIMIT_PER_MINUTE='{"admin": 0, "structure": 0}',
            JALON_AUTH_FAILURES_PER_MINUTE="0",
        ) as running,
    ):
        yield running


def _headers(server: RunningServer, role: str) -> dict[str, str]:
    admin = bearer(server.admin_secret)
    if role == "admin":
        return admin
    structures = httpx.get(f"{server.base_url}/v1/structures?limit=1", headers=admin).json()
    return issue_key(server, "structure", structure_id=structures["items"][0]["id"])


@pytest.mark.parametrize("role", ["admin", "structure"])
def test_schemathesis_run_with_every_check_finds_no_failure(
    server: RunningServer, role: str, tmp_path: Path
) -> None:
    authorization = _headers(server, role)["Authorization"]
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{server.base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--header",
        f"Authorization: {authorization}",
        "--no-color",
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    # in a folder of its own: schemathesis keeps a cache of failures where it runs
    result = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=900
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    record(
        "schemathesis",
        examples_per_operation_and_phase=EXAMPLES,
        **{f"{role}_cases": int(generated.group(1)) if generated else 0},
        **{f"{role}_exit_code": result.returncode},
    )
    assert "dropped by `filter_failure`" in output or result.returncode != 0, (
        "the hooks were not loaded"
    )
    assert result.returncode == 0, output[-12000:]
    assert "API Links" in output, "the stateful phase did not run"
