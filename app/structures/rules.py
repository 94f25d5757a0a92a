"""The registry's rules, as pure functions: the aide au poste an annexe financière
implies, and the préfet's decisions lifting an AI's 480-hour cap.

The socle is an amount per ETP and year: each day of the annexe earns
``socle in force that day * ETP / days in that year``; the modulation adds a
percentage of the socle. Exact decimals throughout, rounded to the cent once, at
the end.
"""

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.reference.enums import StructureKind
from app.rules import RuleParameters, Violation, blocking, last_day_of_months

CENT = Decimal("0.01")
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Rate:
    in_force_from: dt.date
    amount_per_etp: Decimal


@dataclass(frozen=True)
class AidSegment:
    start: dt.date
    end: dt.date
    amount_per_etp: Decimal
    socle: Decimal  # rounded to the cent, for display; totals use exact values


@dataclass(frozen=True)
class Aid:
    segments: tuple[AidSegment, ...]
    days_without_rate: int
    socle: Decimal
    modulation: Decimal
    total: Decimal
    # the total's co-financing: the conseil départemental's share, the State the rest
    etat: Decimal
    conseil_departemental: Decimal


def months_covered(start: dt.date, end: dt.date) -> Decimal:
    """The calendar months from ``start`` to ``end`` included, a partly covered month
    counting its share of days: 2024-01-01 to 2024-06-30 is 6, 2024-03-16 to 2024-03-31
    is 16/31."""
    if end < start:
        raise ValueError("the period ends before it starts")
    months, day = Decimal(0), start
    while day <= end:
        last = min(end, last_day_of_months(day.replace(day=1), 1))
        length = calendar.monthrange(day.year, day.month)[1]
        months += Decimal((last - day).days + 1) / length
        day = last + ONE_DAY
    return months


def etp_conventionnes(posts: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """An annexe's ETP conventionnés: its posts times the months it covers, over 12, to
    the cent."""
    return (posts * months_covered(start, end) / 12).quantize(CENT, ROUND_HALF_UP)


def days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def annexe_aid(
    rates: Sequence[Rate],
    *,
    start: dt.date,
    end: dt.date,
    etp: Decimal,
    modulation_rate: Decimal,
    conseil_departemental_percent: Decimal = Decimal(0),
) -> Aid:
    """``rates`` for the structure's kind, any order; ``modulation_rate`` and the
    conseil départemental's share of the total in percent (the State pays the rest, so
    that the two add up to the total to the cent)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    ordered = sorted(rates, key=lambda rate: rate.in_force_from)
    segments: list[AidSegment] = []
    exact_socle = Decimal(0)
    days_without_rate = 0
    for segment_start, segment_end in _pieces(ordered, start, end):
        rate = _in_force(ordered, segment_start)
        if rate is None:
            days_without_rate += (segment_end - segment_start).days + 1
            continue
        days = (segment_end - segment_start).days + 1
        exact = rate.amount_per_etp * etp * days / days_in_year(segment_start.year)
        exact_socle += exact
        segments.append(AidSegment(segment_start, segment_end, rate.amount_per_etp, _cents(exact)))
    exact_modulation = exact_socle * modulation_rate / 100
    total = _cents(exact_socle + exact_modulation)
    conseil_departemental = _cents(total * conseil_departemental_percent / 100)
    return Aid(
        segments=tuple(segments),
        days_without_rate=days_without_rate,
        socle=_cents(exact_socle),
        modulation=_cents(exact_modulation),
        total=total,
        etat=total - conseil_departemental,
        conseil_departemental=conseil_departemental,
    )


def _pieces(rates: Sequence[Rate], start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Splits [start, end] where a rate comes into force and where a year begins."""
    cuts = {rate.in_force_from for rate in rates if start < rate.in_force_from <= end}
    cuts |= {dt.date(year, 1, 1) for year in range(start.year + 1, end.year + 1)}
    bounds = [start, *sorted(cuts)]
    return [
        (piece_start, (bounds[i + 1] - ONE_DAY) if i + 1 < len(bounds) else end)
        for i, piece_start in enumerate(bounds)
    ]


def _in_force(rates: Sequence[Rate], day: dt.date) -> Rate | None:
    applicable = [rate for rate in rates if rate.in_force_from <= day]
    return applicable[-1] if applicable else None


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cap_derogation_violations(
    structure_kind: StructureKind,
    start: dt.date,
    end: dt.date,
    others: Iterable[tuple[dt.date, dt.date]],
    p: RuleParameters,
) -> list[Violation]:
    """The préfet lifts an AI's 480-hour cap for at most 3 years at a time, renewable:
    a decision is an AI's, and overlaps none of its others."""
    violations = []
    if structure_kind is not StructureKind.AI:
        violations.append(
            blocking(
                "cap_derogation_not_ai",
                "the 480-hour cap, and so its derogation, is an AI's",
                "L5132-9",
                structure_kind=structure_kind.value,
            )
        )
    if end < start:
        return [*violations, blocking("dates_reversed", "the end comes after the start", "L5132-9")]
    longest = last_day_of_months(start, p.ai_cap_derogation_max_months)
    if end > longest:
        violations.append(
            blocking(
                "cap_derogation_too_long",
                f"a decision lifts the cap for at most {p.ai_cap_derogation_max_months} months",
                "L5132-9",
                start=start,
                end=end,
                latest_end=longest,
            )
        )
    for other_start, other_end in others:
        if other_start <= end and start <= other_end:
            violations.append(
                blocking(
                    "cap_derogations_overlap",
                    "a renewal starts after the decision it renews ends",
                    "L5132-9",
                    other_start=other_start,
                    other_end=other_end,
                )
            )
            break
    return violations
