"""Optimistic concurrency: a record's version is its ETag; If-Match must name it."""

from typing import Annotated, Any

from fastapi import Header

from app.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the version you read; a stale one gets 412.",
        examples=['"3"'],
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Absent If-Match: last write wins; present, it must name the current version."""
    if if_match is None:
        return
    current = etag(version)
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in tags and current not in tags:
        raise PreconditionFailed(
            f"the record has changed since you read it: its ETag is now {current}",
            headers={"ETag": current},
        )


def versioned(status: int, *, created: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route whose answer carries the record's ETag (and,
    for a creation, its Location)."""
    names = ["ETag", "Location"] if created else ["ETag"]
    return {status: {"headers": {name: {"$ref": f"#/components/headers/{name}"} for name in names}}}
