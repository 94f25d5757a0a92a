"""Who sees which figures: the caller's scope, the small-cell rule, and the rows."""

import calendar
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.errors import Forbidden, ValidationFailed, field_problem
from app.indicators import queries
from app.indicators.catalogue import (
    CATALOGUE,
    TIME,
    Dimension,
    ExitCounting,
    Family,
    Indicator,
)
from app.indicators.models import IndicatorObjective, ScopeKind
from app.indicators.perturbation import SPREAD, Protection, perturbed
from app.indicators.queries import CATEGORIES, ExitRule, Filters, Scope
from app.indicators.schemas import Dimensions, IndicatorValues, ValueRow
from app.keys.models import Role
from app.rules import RuleParameters

MAX_YEARS = 10
RATE_PLACES = Decimal("0.0001")
PLACES = Decimal("0.01")
COUNT_PLACES = Decimal(1)
COUNTS = frozenset({"salariés", "parcours", "companies", "sectors"})


def indicator(code: str) -> Indicator:
    found = CATALOGUE.get(code)
    if found is None:
        raise ValidationFailed(
            f"unknown indicator '{code}'",
            errors=[field_problem("code", "see GET /v1/indicators", location="path")],
        )
    return found


def month_bounds(start: str, end: str) -> tuple[dt.date, dt.date]:
    """YYYY-MM to YYYY-MM as the first and last days."""
    first = dt.date.fromisoformat(f"{start}-01")
    last_month = dt.date.fromisoformat(f"{end}-01")
    last = last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])
    if last < first:
        raise ValidationFailed(
            "the period ends before it starts",
            errors=[field_problem("to", "before from", location="query")],
        )
    if last.year - first.year >= MAX_YEARS:
        raise ValidationFailed(
            f"a period spans at most {MAX_YEARS} years",
            errors=[field_problem("to", "too far", location="query")],
        )
    return first, last


def widen(start: dt.date, end: dt.date, group_by: Sequence[Dimension]) -> tuple[dt.date, dt.date]:
    """Whole buckets: a quarterly or yearly series starts and ends on their bounds."""
    if Dimension.year in group_by:
        return start.replace(month=1, day=1), end.replace(month=12, day=31)
    if Dimension.quarter in group_by:
        first_month = (start.month - 1) // 3 * 3 + 1
        last_month = (end.month - 1) // 3 * 3 + 3
        last_day = calendar.monthrange(end.year, last_month)[1]
        return start.replace(month=first_month, day=1), end.replace(month=last_month, day=last_day)
    return start, end


def check_dimensions(found: Indicator, group_by: Sequence[Dimension]) -> None:
    problems = [
        field_problem("group_by", f"{found.code} cannot be grouped by {d.value}", location="query")
        for d in group_by
        if d not in found.dimensions
    ]
    if len(group_by) > 2:
        problems.append(field_problem("group_by", "two dimensions at most", location="query"))
    if len([d for d in group_by if d in TIME]) > 1:
        problems.append(field_problem("group_by", "one time dimension at most", location="query"))
    if len(set(group_by)) < len(group_by):
        problems.append(field_problem("group_by", "a dimension appears twice", location="query"))
    if problems:
        raise ValidationFailed("the grouping does not fit the indicator", errors=problems)


def scope_of(caller: Caller, found: Indicator) -> Scope:
    if caller.role is Role.structure:
        return Scope(structure_id=caller.structure_id)
    if caller.role is Role.network:
        return Scope(network_id=caller.network_id)
    if caller.role is Role.company:
        if found.family is not Family.mission:
            raise Forbidden("a company key reads the indicators of its missions only")
        return Scope(company_id=caller.company_id)
    return Scope()


def scope_of_objective(objective: IndicatorObjective) -> tuple[Scope, Filters]:
    if objective.scope_kind is ScopeKind.structure:
        return Scope(structure_id=objective.structure_id), Filters()
    if objective.scope_kind is ScopeKind.company:
        return Scope(company_id=objective.company_id), Filters()
    if objective.scope_kind is ScopeKind.network:
        return Scope(network_id=objective.network_id), Filters()
    if objective.scope_kind is ScopeKind.region:
        return Scope(), Filters(region_code=objective.region_code)
    return Scope(), Filters()


async def compute(
    session: AsyncSession,
    found: Indicator,
    *,
    start: dt.date,
    end: dt.date,
    group_by: Sequence[Dimension],
    scope: Scope,
    filters: Filters,
    protection: Protection | None,
    exit_rule: ExitRule,
) -> IndicatorValues:
    """The indicator's rows; with ``protection`` (company and network keys), small
    groups hidden and counts perturbed (:mod:`app.indicators.perturbation`)."""
    rows = await queries.values(
        session,
        found.code,
        period_start=start,
        period_end=end,
        group_by=group_by,
        scope=scope,
        filters=filters,
        family=found.family,
        exit_rule=exit_rule,
        cell_seed=protection.seed if protection else None,
    )
    values = [_row(found, row, group_by, protection) for row in rows]
    return IndicatorValues(
        indicator=found.code,
        unit=found.unit,
        period_start=start,
        period_end=end,
        group_by=list(group_by),
        rows=values,
        suppressed_rows=sum(row.suppressed for row in values),
        small_cell_threshold=protection.threshold if protection else None,
        perturbation=SPREAD if protection else None,
        exit_counting=exit_rule.counting if found.follows_exit_counting else None,
    )


def exit_rule(rules: RuleParameters, counting: ExitCounting = ExitCounting.etat) -> ExitRule:
    return ExitRule(rules.exit_counted_min_months, rules.exit_counted_min_hours, counting)


def _row(
    found: Indicator, row: Any, group_by: Sequence[Dimension], protection: Protection | None
) -> ValueRow:
    mapping = dict(row._mapping)
    dimensions = Dimensions(**{d.value: _label(d, mapping[d.value]) for d in group_by})
    salaries = mapping["salaries"]
    if protection is not None and salaries is not None and salaries < protection.threshold:
        return ValueRow(dimensions=dimensions, value=None, suppressed=True)
    if protection is not None and mapping["cell_key"] is not None:
        mapping = _perturbed(found, mapping)
    places = RATE_PLACES if found.is_rate else COUNT_PLACES if found.unit in COUNTS else PLACES
    by_category = queries.FORMULAS[found.code].by_category
    breakdown = {c: mapping[c] for c in CATEGORIES} if by_category else None
    return ValueRow(
        dimensions=dimensions,
        value=_round(mapping["value"], places),
        numerator=_term(mapping["numerator"]),
        denominator=_term(mapping["denominator"]),
        breakdown=breakdown,
    )


def _perturbed(found: Indicator, mapping: dict[str, Any]) -> dict[str, Any]:
    """The row with each of its counts perturbed by the group's cell key; a rate or a
    mean recomputed from its perturbed terms."""
    cell_key: int = mapping["cell_key"]
    changed = dict(mapping)
    counted = queries.FORMULAS[found.code].counts
    for figure in counted:
        if changed[figure] is not None:
            changed[figure] = perturbed(int(changed[figure]), cell_key, figure)
    if queries.FORMULAS[found.code].by_category:
        for category in CATEGORIES:
            changed[category] = perturbed(int(changed[category]), cell_key, category)
    if "denominator" in counted and changed["numerator"] is not None:
        denominator = changed["denominator"]
        changed["value"] = Decimal(changed["numerator"]) / denominator if denominator else None
    return changed


def _round(value: Any, places: Decimal) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(places)


def _term(value: Any) -> Decimal | None:
    """A rate's numerator or denominator: whole counts as integers."""
    if value is None:
        return None
    number = Decimal(value)
    return number.quantize(COUNT_PLACES if number == number.to_integral_value() else RATE_PLACES)


def _label(dimension: Dimension, value: Any) -> str | None:
    """A group's value as the queries spell it: a period as ``2025-03``, ``2025-Q1`` or
    ``2025`` (not the date it starts on), anything else as text."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        if dimension is Dimension.month:
            return f"{value:%Y-%m}"
        if dimension is Dimension.quarter:
            return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
        if dimension is Dimension.year:
            return str(value.year)
    return str(value)
