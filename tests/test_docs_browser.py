"""/docs and /redoc render with no internet: headless Chromium loads them from a
running jalon and finds the operations."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

from tests.support.databases import fresh_database
from tests.support.server import RunningServer, jalon_server

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
    "--dump-dom",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: scripts/test installs the Debian package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def jalon() -> Iterator[RunningServer]:
    with fresh_database() as url, jalon_server(url) as server:
        yield server


def render(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_swagger_ui_renders_the_operations_offline(jalon: RunningServer) -> None:
    dom = render(f"{jalon.base_url}/docs")
    assert "swagger-ui" in dom
    assert "opblock" in dom, "Swagger UI did not render the operations"
    for operation in ("/v1/keys", "/v1/keys/{key_id}/revoke", "/readyz"):
        assert operation in dom
    assert "Create an API key" in dom
    assert "cdn.jsdelivr.net" not in dom


def test_redoc_renders_offline(jalon: RunningServer) -> None:
    dom = render(f"{jalon.base_url}/redoc")
    assert "Create an API key" in dom
    assert "cdn.jsdelivr.net" not in dom
