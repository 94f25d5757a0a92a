"""Closing a month, as pure functions: what a structure's month lacks before it closes,
and the states a month goes through (open, closed, corrected)."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.rules import last_day_of_months


class MonthState(StrEnum):
    open = "open"  # hours may change; a month never closed, or reopened for a correction
    closed = "closed"  # closed, never corrected
    corrected = "corrected"  # closed again after a correction


@dataclass(frozen=True)
class ContractInForce:
    contract_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    has_hours: bool


@dataclass(frozen=True)
class Missing:
    contract_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    what: str


def missing_before_closing(contracts: Iterable[ContractInForce]) -> list[Missing]:
    """Every contract in force in the month has its hours (0 is an answer). An exit
    always carries its motive (the parcours' CHECK), so no exit can lack one."""
    return [
        Missing(c.contract_id, c.parcours_id, c.salarie_id, "hours")
        for c in contracts
        if not c.has_hours
    ]


def state_after_closing(corrections: int) -> MonthState:
    return MonthState.corrected if corrections else MonthState.closed


def month_bounds(first_day: dt.date) -> tuple[dt.date, dt.date]:
    return first_day, last_day_of_months(first_day, 1)
