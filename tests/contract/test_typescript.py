"""Front ends are users too: TypeScript types generated from the contract with
openapi-typescript type-check a file that calls three operations through openapi-fetch
(clients/typescript/connector.ts), and catch a float sent as money."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.generated_client import CONTRACT
from tests.support.server import PROJECT_ROOT

PROJECT = PROJECT_ROOT / "clients" / "typescript"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The TypeScript project in a folder of its own, with the types generated afresh."""
    assert (PROJECT / "node_modules" / ".bin" / "tsc").exists(), (
        "run scripts/test, which installs clients/typescript's packages (npm ci)"
    )
    folder = tmp_path_factory.mktemp("typescript")
    for name in ("package.json", "tsconfig.json", "connector.ts"):
        shutil.copy(PROJECT / name, folder / name)
    (folder / "node_modules").symlink_to(PROJECT / "node_modules")
    generated = run(folder, "openapi-typescript", str(CONTRACT), "--output", "generated/jalon.d.ts")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "warn" not in (generated.stdout + generated.stderr).lower(), generated.stderr
    return folder


def run(folder: Path, tool: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(folder / "node_modules" / ".bin" / tool), *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_connector_type_checks(checkout: Path) -> None:
    checked = run(checkout, "tsc", "--noEmit", "-p", ".")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_float_as_money_does_not(checkout: Path) -> None:
    source = (checkout / "connector.ts").read_text()
    assert 'amount_ht: "48500.00"' in source
    (checkout / "connector.ts").write_text(source.replace('"48500.00"', "48500.0"))
    try:
        checked = run(checkout, "tsc", "--noEmit", "-p", ".")
    finally:
        (checkout / "connector.ts").write_text(source)
    assert checked.returncode != 0
    assert "connector.ts" in checked.stdout
    assert "is not assignable to type 'string'" in checked.stdout, checked.stdout
