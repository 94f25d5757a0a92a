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


def test_an_unreachable_database_is_one_line_naming_it_without_its_password() -> None:
    done = jalon("migrate", database_url="postgresql://jalon:s3cret@127.0.0.1:1/nowhere")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("jalon: cannot reach PostgreSQL at postgresql")
    assert "127.0.0.1:1/nowhere" in lines[0]
    assert "s3cret" not in done.stderr
    assert "Connect call failed" in lines[0] or "refused" in lines[0]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ((), ["serve", "migrate", "demo", "keys", "purge", "openapi"]),
        (("serve",), ["--host", "--port", "--workers", "--demo"]),
        (("keys", "create"), ["--role", "--name", "--scopes", "--structure-id"]),
        (("purge",), ["--dry-run"]),
        (("openapi",), ["--output"]),
    ],
)
def test_each_help_lists_every_command_and_option_with_its_default(
    command: tuple[str, ...], options: list[str]
) -> None:
    done = jalon(*command, "--help", database_url="postgresql://unused@127.0.0.1:1/x")
    assert done.returncode == 0, done.stderr
    for option in options:
        assert option in done.stdout, (option, done.stdout)
    if command == ("serve",):
        assert "(default: 8000)" in done.stdout
        assert "(default: 127.0.0.1)" in done.stdout


def test_each_serve_demo_prints_a_new_key_and_says_how_many_earlier_ones_are_valid() -> None:
    with fresh_database() as url:
        plain = url.replace("+asyncpg", "")
        with jalon_server(plain) as first:
            assert "still valid" not in first.output.read_text()
        with jalon_server(plain) as second:
            assert "1 earlier demo admin key(s) still valid" in second.output.read_text()
            assert second.admin_secret != first.admin_secret
            for secret in (first.admin_secret, second.admin_secret):
                me = httpx.get(f"{second.base_url}/v1/keys/me", headers=bearer(secret))
                assert me.status_code == 200
