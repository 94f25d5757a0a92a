"""The embedded PostgreSQL: zero set-up, and, as root, no permission widened."""

import asyncio
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from app import embedded
from app.embedded import EmbeddedPostgres, EmbeddedPostgresError
from tests.support.databases import embedded_data_dir
from tests.support.server import PROJECT_ROOT, free_port, wait_until_ready

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="checks what jalon does when run as root")


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    parent = embedded_data_dir().absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="jalon-embedded-", dir=parent))
    path.chmod(0o755)
    yield path
    server = EmbeddedPostgres(path)
    if server.is_running():
        server.stop(mode="immediate")
    subprocess.run(["rm", "-rf", str(path)], check=False)


async def server_version(server: EmbeddedPostgres) -> str:
    connection = await asyncpg.connect(host=str(server.socket_dir), user="postgres")
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def test_starts_once_stops_and_restarts_on_its_data(scratch_dir: Path) -> None:
    server = EmbeddedPostgres(scratch_dir / "data")
    assert server.ensure_running() is True
    assert server.ensure_running() is False  # already running: nothing to do
    assert asyncio.run(server_version(server))
    server.stop()
    assert not server.is_running()
    assert server.ensure_running() is True
    assert (server.pgdata / "PG_VERSION").exists()


@as_root
def test_as_root_runs_as_a_system_user_in_private_folders(scratch_dir: Path) -> None:
    parent_mode = scratch_dir.parent.stat().st_mode
    server = EmbeddedPostgres(scratch_dir / "data")
    server.ensure_running()
    owner = server.pgdata.stat().st_uid
    assert owner != 0
    assert stat.S_IMODE(server.pgdata.stat().st_mode) == 0o700
    assert stat.S_IMODE(server.socket_dir.stat().st_mode) == 0o700
    assert scratch_dir.parent.stat().st_mode == parent_mode


@as_root
def test_as_root_refuses_a_data_folder_it_would_have_to_open_up(scratch_dir: Path) -> None:
    private = scratch_dir / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(EmbeddedPostgresError, match="JALON_DATA_DIR"):
        EmbeddedPostgres(private / "data").ensure_running()
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


@as_root
def test_as_root_copies_binaries_it_cannot_reach_instead_of_opening_their_folders(
    scratch_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reachable = embedded._world_traversable

    def site_packages_unreachable(path: Path) -> bool:
        return "site-packages" not in str(path) and reachable(path)

    monkeypatch.setattr(embedded, "_world_traversable", site_packages_unreachable)
    server = EmbeddedPostgres(scratch_dir / "data")
    server.ensure_running()
    copies = list((scratch_dir / "data").glob("postgres-*/*/*/bin/postgres"))
    assert len(copies) == 1
    status = subprocess.run(
        [str(copies[0].parent / "pg_ctl"), "-D", str(server.pgdata), "status"],
        capture_output=True,
        text=True,
        check=False,
        user=server.pgdata.stat().st_uid,
    )
    assert str(copies[0]) in status.stdout


def test_serve_stops_the_embedded_postgresql_it_started(scratch_dir: Path) -> None:
    data = scratch_dir / "data"
    port = free_port()
    log = scratch_dir / "serve.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JALON_")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment | {"JALON_DATA_DIR": str(data)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log)
        assert EmbeddedPostgres(data).is_running()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    deadline = time.monotonic() + 10
    while EmbeddedPostgres(data).is_running() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not EmbeddedPostgres(data).is_running()
