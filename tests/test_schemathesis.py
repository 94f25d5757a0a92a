"""Property-based testing of the running service against the committed contract.

Schemathesis generates requests for every operation of openapi/openapi.json, valid ones
and invalid ones, sends them with an admin key and with a structure key to a jalon
process on loopback, and checks each answer: no 5xx, a status code and a body the
document declares, the declared content type, and problem+json for every error. The
number of requests is bounded (EXAMPLES per operation, key and mode) and printed."""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests.support.databases import fresh_database
from tests.support.figures import record
from tests.support.keys import bearer
from tests.support.server import PROJECT_ROOT, RunningServer, issue_key, jalon_server

EXAMPLES = int(os.environ.get("JALON_SCHEMATHESIS_EXAMPLES", "10"))
SCHEMA = schemathesis.openapi.from_path(str(PROJECT_ROOT / "openapi" / "openapi.json"))


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    """The contract types an NDJSON body as bytes: sent as they were generated."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return getattr(value, "data", b"") or b""


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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


@pytest.fixture(scope="module")
def keys(server: RunningServer) -> dict[str, dict[str, str]]:
    admin = bearer(server.admin_secret)
    structures = httpx.get(f"{server.base_url}/v1/structures?limit=1", headers=admin).json()
    structure_id = structures["items"][0]["id"]
    return {"admin": admin, "structure": issue_key(server, "structure", structure_id=structure_id)}


def test_generated_requests_find_no_failure(
    server: RunningServer, keys: dict[str, dict[str, str]]
) -> None:
    sent: dict[str, int] = {"requests": 0}
    failures: list[str] = []
    operations = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]
    for operation in operations:
        for key_name, headers in keys.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _explore(operation, mode, server.base_url, headers, sent, failures, key_name)
    record(
        "schemathesis",
        operations=len(operations),
        keys=len(keys),
        examples_per_operation_key_and_mode=EXAMPLES,
        requests=sent["requests"],
        failures=len(failures),
    )
    assert not failures, "\n".join(failures[:40])


def _explore(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    sent: dict[str, int],
    failures: list[str],
    key_name: str,
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        sent["requests"] += 1
        label = f"{key_name} {mode.value} {operation.label} -> {response.status_code}"
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures.append(f"{label}: {getattr(failure, 'title', failure)}")
            return
        if response.status_code >= 400:
            media = response.headers.get("content-type", [""])
            media = media[0] if isinstance(media, list) else media
            if not media.startswith("application/problem+json"):
                failures.append(f"{label}: an error that is not problem+json ({media})")

    try:
        run()
    except Unsatisfiable:
        # nothing to make invalid: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, operation.label
