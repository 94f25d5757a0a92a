"""requirements.lock holds the versions every install takes: it must admit what
pyproject.toml asks for, and the suite must be running on exactly those versions."""

import tomllib
from importlib import metadata
from pathlib import Path
from typing import cast

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def locked() -> dict[str, str]:
    """The lock's pins that apply on this machine, by canonical name."""
    pins: dict[str, str] = {}
    environment = cast(dict[str, str], default_environment())
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line or line[0] in "# ":
            continue
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines.extend(extra)
    return [Requirement(line) for line in lines]


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    pins = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run scripts/lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]} outside {requirement}: run scripts/lock"
        )


def test_the_suite_runs_on_the_locked_versions() -> None:
    drifted = {
        name: (version, metadata.version(name))
        for name, version in locked().items()
        if metadata.version(name) != version
    }
    assert drifted == {}, "installed versions differ from requirements.lock: run scripts/install"


def test_fastapi_is_pinned_to_one_minor_release() -> None:
    """lean.py and routing.py use FastAPI's internals (app/fastapi_internals.py lists
    them): a new minor release is taken only after the suite ran on it."""
    (fastapi,) = (r for r in declared() if r.name == "fastapi")
    bounds = {spec.operator: spec.version for spec in fastapi.specifier}
    assert set(bounds) == {">=", "<"}
    low = [int(part) for part in bounds[">="].split(".")]
    high = [int(part) for part in bounds["<"].split(".")]
    assert high[:2] == [low[0], low[1] + 1], fastapi
