"""The contract's version follows its changes: the changelog's newest entry is the
version, a contract that differs from the last released one has a newer version, and
every breaking change since that release is declared under **Breaking**."""

import json
import re
from typing import Any

import httpx

from app import changelog
from tests.support.contract_diff import breaking_changes
from tests.support.generated_client import CONTRACT

RELEASED = CONTRACT.parent / "released"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def last_release() -> tuple[str, dict[str, Any]]:
    files = sorted(RELEASED.glob("*.json"), key=lambda f: version_key(f.stem))
    assert files, "openapi/released/ holds every released contract"
    return files[-1].stem, json.loads(files[-1].read_text())


def unreleased_breaking_text(released: str) -> str:
    """The Breaking sections of the entries newer than ``released``."""
    entries = re.split(r"^## ", changelog.text(), flags=re.MULTILINE)[1:]
    newer = [e for e in entries if version_key(e.split()[0]) > version_key(released)]
    return "\n".join(
        section
        for entry in newer
        for section in re.split(r"^### ", entry, flags=re.MULTILINE)
        if section.startswith("Breaking")
    )


def test_the_version_is_the_changelogs_newest_entry() -> None:
    contract = json.loads(CONTRACT.read_text())
    versions = changelog.versions()
    assert contract["info"]["version"] == versions[0][0]
    assert [v for v, _ in versions] == sorted((v for v, _ in versions), key=version_key)[::-1]
    assert [d for _, d in versions] == sorted((d for _, d in versions), reverse=True)


def test_a_changed_contract_has_a_newer_version_than_the_last_release() -> None:
    released, document = last_release()
    contract = json.loads(CONTRACT.read_text())
    if contract != document:
        assert version_key(contract["info"]["version"]) > version_key(released)


def test_every_breaking_change_since_the_last_release_is_declared() -> None:
    released, document = last_release()
    contract = json.loads(CONTRACT.read_text())
    found = breaking_changes(document, contract)
    if not found:
        return
    major, minor, _ = version_key(contract["info"]["version"])
    was_major, was_minor, _ = version_key(released)
    assert (major > was_major) or (major == 0 and minor > was_minor), "a breaking version"
    declared = unreleased_breaking_text(released)
    undeclared = [b.change for b in found if f"`{b.subject}`" not in declared]
    assert not undeclared, "declare under ### Breaking in openapi/CHANGELOG.md:\n" + "\n".join(
        undeclared
    )


async def test_the_changelog_is_served(client: httpx.AsyncClient) -> None:
    served = await client.get("/changelog")
    assert served.status_code == 200
    assert served.headers["content-type"] == "text/markdown; charset=utf-8"
    assert served.text == changelog.text()  # openapi/CHANGELOG.md, as kept
