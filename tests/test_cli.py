import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app, openapi_document
from tests.support.databases import fresh_database
from tests.support.keys import bearer
from tests.support.server import PROJECT_ROOT, jalon_server


def jalon(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env={"JALON_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def scratch_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def test_migrate_then_keys_create_prints_a_working_admin_secret(scratch_url: str) -> None:
    migrated = jalon("migrate", database_url=scratch_url)
    assert migrated.returncode == 0, migrated.stderr
    created = jalon(
        "keys", "create", "--role", "admin", "--name", "first", database_url=scratch_url
    )
    assert created.returncode == 0, created.stderr
    secret = re.search(r"^jalon_[A-Za-z0-9_-]{43}$", created.stdout, re.MULTILINE)
    assert secret, created.stdout

    with jalon_server(scratch_url) as server:
        me = httpx.get(f"{server.base_url}/v1/keys/me", headers=bearer(secret.group(0)))
        assert me.status_code == 200
        assert me.json()["name"] == "first"
        assert me.json()["role"] == "admin"


def test_keys_create_refuses_a_structure_key_without_its_structure(scratch_url: str) -> None:
    result = jalon("keys", "create", "--role", "structure", database_url=scratch_url)
    assert result.returncode == 2
    assert "structure_id" in result.stderr


def test_a_wrong_setting_stops_the_command_naming_the_variable(scratch_url: str) -> None:
    result = jalon("migrate", database_url="mysql://nowhere/jalon")
    assert result.returncode != 0
    assert "JALON_DATABASE_URL" in result.stderr


def test_openapi_command_writes_the_app_contract(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    result = jalon("openapi", "--output", str(target), database_url="postgresql://unused/x")
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == openapi_document(create_app())


def test_purge_command_reports_what_it_pseudonymised(scratch_url: str) -> None:
    assert jalon("migrate", database_url=scratch_url).returncode == 0
    dry = jalon("purge", "--dry-run", database_url=scratch_url)
    assert dry.returncode == 0, dry.stderr
    assert "would pseudonymise 0 salariés (retention: 1825 days)" in dry.stdout
    done = jalon("purge", database_url=scratch_url)
    assert done.returncode == 0, done.stderr
    assert "pseudonymised 0 salariés" in done.stdout
    assert "forgot 0 webhook deliveries and 0 events (retention: 30 days)" in done.stdout
    assert "forgot 0 idempotency records older than 24 hours" in done.stdout
