"""The contract's changelog, ``openapi/CHANGELOG.md``: served as it is kept, and the
source of the contract's version (its newest entry)."""

import re
from functools import cache
from pathlib import Path

from starlette.responses import Response

from app.deprecation import CHANGELOG_PATH
from app.lean import fast_path
from app.routing import api_router

CHANGELOG = Path(__file__).resolve().parent.parent / "openapi" / "CHANGELOG.md"
ENTRY = re.compile(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)$", re.MULTILINE)
MARKDOWN = "text/markdown; charset=utf-8"

router = api_router(tags=["operations"])


@cache
def text() -> str:
    return CHANGELOG.read_text(encoding="utf-8")


def versions() -> list[tuple[str, str]]:
    """(version, date) of each entry, newest first."""
    return ENTRY.findall(text())


def current_version() -> str:
    return versions()[0][0]


@router.get(
    CHANGELOG_PATH,
    summary="The changelog of this contract",
    description="Every change to the contract, newest first, breaking ones declared; "
    "what a `Deprecation` header points to.",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
@fast_path
async def read_changelog() -> Response:
    return Response(text(), media_type=MARKDOWN)
