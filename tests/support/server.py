"""A real jalon process on loopback, for the tests that need one."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.records import new_siret, structure_body

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    output: Path
    admin_secret: str
    process: subprocess.Popen[bytes]


@contextmanager
def jalon_server(database_url: str, **env: str) -> Iterator[RunningServer]:
    """Runs ``jalon serve --demo`` against ``database_url`` until the block ends."""
    port = free_port()
    output = Path(tempfile.mkstemp(prefix="jalon-server-", suffix=".log")[1])
    environment = {
        **os.environ,
        "JALON_DATABASE_URL": database_url,
        "JALON_NIR_HASH_KEY": "test-nir-key",
        **env,
    }
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process, output)
        secret = re.search(r"jalon_[A-Za-z0-9_-]{43}", output.read_text())
        assert secret, output.read_text()
        yield RunningServer(base_url, output, secret.group(0), process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jalon exited with {process.returncode}:\n{output.read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"jalon did not become ready:\n{output.read_text()}")


def issue_key(server: RunningServer, role: str, **binding: str) -> dict[str, str]:
    """A read-write key of ``role`` (bound to ``structure_id=``, ``company_id=``...),
    issued through the API with the server's admin key: its Authorization header."""
    created = httpx.post(
        f"{server.base_url}/v1/keys",
        headers={"Authorization": f"Bearer {server.admin_secret}"},
        json={"name": f"test {role}", "role": role, "scopes": ["read", "write"], **binding},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['secret']}"}


def company_key_and_structure(server: RunningServer) -> tuple[dict[str, str], str]:
    """A new company's key, and a new structure it may send missions to."""
    admin = {"Authorization": f"Bearer {server.admin_secret}"}
    structure = httpx.post(
        f"{server.base_url}/v1/structures", headers=admin, json=structure_body(), timeout=30
    )
    company = httpx.post(
        f"{server.base_url}/v1/companies",
        headers=admin,
        json={"siret": new_siret(), "name": "Client", "size": "PME", "region_code": "53"},
        timeout=30,
    )
    assert structure.status_code == company.status_code == 201, (structure.text, company.text)
    return issue_key(server, "company", company_id=company.json()["id"]), structure.json()["id"]
