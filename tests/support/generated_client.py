"""A Python client generated from the committed contract, as a partner would make it:
openapi-python-client (the version pinned in pyproject.toml) with the configuration
the README gives, ``openapi/openapi-python-client.yaml``."""

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.support.server import PROJECT_ROOT

CONTRACT = PROJECT_ROOT / "openapi" / "openapi.json"
CONFIG = PROJECT_ROOT / "openapi" / "openapi-python-client.yaml"
PACKAGE = "jalon_client"


def generate(folder: Path) -> tuple[str, ModuleType]:
    """What the generator printed, and the generated package, imported (``folder`` stays
    on the import path: its modules are imported as they are used)."""
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(CONTRACT),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    sys.path.insert(0, str(folder))
    return output, importlib.import_module(PACKAGE)


class Operations:
    """``operations.missions.create_mission`` is the generated module of that operation."""

    def __init__(self, package: ModuleType, tag: str = "") -> None:
        self._package, self._tag = package, tag

    def __getattr__(self, name: str) -> Any:
        if not self._tag:
            return Operations(self._package, name)
        return importlib.import_module(f"{self._package.__name__}.api.{self._tag}.{name}")


def models(package: ModuleType) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.models")
