"""The kernel every domain's rules share: a violation and its severity, the numbers of
the labour-law rules (DOMAIN.md) as settings, the calendar arithmetic they count with,
and the one way a route refuses a write that breaks a blocking rule.

The rules themselves live in their domain's pure ``rules.py``.
"""

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from app.errors import RulesBroken, RuleViolation
from app.reference.enums import Severity

ONE_DAY = dt.timedelta(days=1)


class RuleParameters(BaseModel):
    """The legal values as defaults: ``JALON_RULES__CDDI_MAX_MONTHS=30`` overrides one."""

    model_config = ConfigDict(frozen=True)

    pass_iae_validity_days: int = Field(730, gt=0)
    pass_iae_wait_months: int = Field(24, ge=0)
    pass_suspension_max_months: int = Field(36, gt=0)
    pass_suspension_backdating_days: int = Field(365, ge=0)
    pass_prolongation_max_months: int = Field(12, gt=0)
    pass_prolongation_rqth_max_months: int = Field(36, gt=0)
    pass_prolongation_senior_max_months: int = Field(60, gt=0)
    pass_prolongation_senior_min_age: int = Field(50, gt=0)
    pass_prolongation_difficulties_max_months: int = Field(36, gt=0)
    cddi_min_months: int = Field(4, gt=0)
    cddi_max_months: int = Field(24, gt=0)
    cddi_max_months_with_derogation: int = Field(60, gt=0)
    weekly_hours_min: float = Field(20, gt=0)
    weekly_hours_max: float = Field(35, gt=0)
    ctti_max_months: int = Field(24, gt=0)
    cdi_inclusion_min_age: int = Field(57, gt=0)
    cdi_inclusion_min_parcours_months: int = Field(12, ge=0)
    cdi_inclusion_min_weekly_hours: float = Field(24, gt=0)
    cdi_inclusion_max_share_percent: float = Field(20, ge=0, le=100)
    cdi_inclusion_prefet_share_percent: float = Field(30, ge=0, le=100)
    under_20h_prefet_max_months: int = Field(12, gt=0)
    under_20h_other_job_max_months: int = Field(6, gt=0)
    under_20h_other_job_after_months: int = Field(4, ge=0)
    max_weekly_hours_worked: float = Field(48, gt=0)
    eligibility_level_2_required_ai_etti: int = Field(2, gt=0)
    eligibility_level_2_required_others: int = Field(3, gt=0)
    diagnostic_prescriber_valid_months: int = Field(6, gt=0)
    diagnostic_siae_valid_days: int = Field(92, gt=0)
    alert_cddi_months_before_limit: int = Field(2, ge=0)
    ai_max_hours_per_company: float = Field(480, gt=0)
    ai_hours_warning_from: float = Field(400, gt=0)
    ai_hours_window_months: int = Field(24, gt=0)
    ai_cap_derogation_max_months: int = Field(36, gt=0)
    exit_counted_min_months: int = Field(3, ge=0)
    exit_counted_min_hours: float = Field(150, ge=0)
    # a structure closes a month by this day of the next (the EMI's discipline)
    month_close_by_day: int = Field(10, ge=1, le=28)


@dataclass(frozen=True)
class Violation:
    code: str
    severity: Severity
    rule: str
    article: str
    values: dict[str, str] = field(default_factory=dict)


def blocking(code: str, rule: str, article: str, **values: object) -> Violation:
    return Violation(code, Severity.blocking, rule, article, {k: str(v) for k, v in values.items()})


def warning(code: str, rule: str, article: str, **values: object) -> Violation:
    return Violation(code, Severity.warning, rule, article, {k: str(v) for k, v in values.items()})


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_day_of_months(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months that starts on ``start``."""
    return add_months(start, months) - ONE_DAY


def days_in(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def age_on(birth_date: dt.date, day: dt.date) -> int:
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def rules_of(request: Request) -> RuleParameters:
    rules: RuleParameters = request.app.state.settings.rules
    return rules


async def rule_parameters(request: Request) -> RuleParameters:
    """The dependency: a coroutine, as FastAPI runs plain functions in a thread."""
    return rules_of(request)


RulesDep = Annotated[RuleParameters, Depends(rule_parameters)]


def as_problems(violations: Sequence[Violation]) -> list[RuleViolation]:
    return [RuleViolation.model_validate(v, from_attributes=True) for v in violations]


def refuse_blocking(violations: Sequence[Violation]) -> list[RuleViolation]:
    """Raises a 422 listing every violation when one blocks; else returns the warnings."""
    if any(v.severity is Severity.blocking for v in violations):
        raise RulesBroken(as_problems(violations))
    return as_problems(violations)
