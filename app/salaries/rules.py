"""The PASS IAE's rules, as pure functions: dates in, an end date or violations out.
No I/O; every number comes from :class:`RuleParameters`."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from app.rules import RuleParameters, Violation, blocking, days_in, last_day_of_months


@dataclass(frozen=True)
class Adjustment:
    start: dt.date
    end: dt.date


def pass_iae_end(start: dt.date, adjustments: Iterable[Adjustment], p: RuleParameters) -> dt.date:
    """Validity from ``start`` for the set number of days, moved by every suspension
    and prolongation by its length."""
    extra = sum(days_in(a.start, a.end) for a in adjustments)
    return start + dt.timedelta(days=p.pass_iae_validity_days - 1 + extra)


def adjustment_violations(adjustment: Adjustment, p: RuleParameters) -> list[Violation]:
    if adjustment.end < adjustment.start:
        return [blocking("dates_reversed", "the end comes after the start", "L5132-3")]
    longest = last_day_of_months(adjustment.start, p.pass_adjustment_max_months)
    if adjustment.end > longest:
        return [
            blocking(
                "pass_adjustment_too_long",
                f"a suspension or prolongation lasts at most {p.pass_adjustment_max_months} months",
                "R5132-1-8",
                start=adjustment.start,
                end=adjustment.end,
                latest_end=longest,
            )
        ]
    return []
