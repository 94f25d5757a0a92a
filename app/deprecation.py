"""Deprecation announced on the answers themselves: ``Deprecation`` (RFC 9745) from the
day it is announced in the changelog, ``Sunset`` (RFC 8594) for the day it goes, and a
``Link`` to the changelog that says what to use instead."""

import datetime as dt
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

CHANGELOG_PATH = "/changelog"
HEADERS = ("Deprecation", "Sunset", "Link")


@dataclass(frozen=True)
class Deprecation:
    announced: dt.date
    sunset: dt.date

    def headers(self) -> dict[str, str]:
        announced = dt.datetime.combine(self.announced, dt.time(), dt.UTC)
        sunset = dt.datetime.combine(self.sunset, dt.time(), dt.UTC)
        return {
            "Deprecation": f"@{int(announced.timestamp())}",
            "Sunset": format_datetime(sunset, usegmt=True),
            "Link": f'<{CHANGELOG_PATH}>; rel="deprecation"; type="text/markdown"',
        }


def declared(
    responses: dict[int | str, dict[str, Any]], *statuses: int
) -> dict[int | str, dict[str, Any]]:
    """``responses``, with the deprecation headers on ``statuses``: the answers of a route
    that may answer deprecated requests."""
    refs = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS}
    merged = {status: dict(entry) for status, entry in responses.items()}
    for status in statuses:
        entry = merged.setdefault(status, {})
        entry["headers"] = {**entry.get("headers", {}), **refs}
    return merged
