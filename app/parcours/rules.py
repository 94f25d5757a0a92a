"""The Code du travail rules of the parcours, as pure functions: dates and numbers in,
violations out. No I/O; every number comes from :class:`RuleParameters`.

A violation is ``blocking`` (the write is refused) or a ``warning`` (accepted, kept
and shown).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.reference.enums import (
    CONTRACT_KINDS_BY_STRUCTURE,
    EXTENDING_DEROGATIONS,
    UNDER_20H_DEROGATIONS,
    ContractKind,
    DerogationKind,
    Severity,
    StructureKind,
)
from app.rules import (
    ONE_DAY,
    RuleParameters,
    Violation,
    add_months,
    age_on,
    blocking,
    days_in,
    last_day_of_months,
    warning,
)

CDDI_ARTICLES = {
    StructureKind.EI: "L5132-5",
    StructureKind.AI: "L5132-11-1",
    StructureKind.ACI: "L5132-15-1",
}


# --- eligibility ------------------------------------------------------------------


def exit_violations(entry: dt.date, exit_date: dt.date) -> list[Violation]:
    if exit_date >= entry:
        return []
    return [
        blocking(
            "exit_before_entry",
            "the exit comes on or after the entry",
            "L5132-1",
            entry_date=entry,
            exit_date=exit_date,
        )
    ]


def amendment_violations(signed_on: dt.date, contract_start: dt.date) -> list[Violation]:
    if signed_on >= contract_start:
        return []
    return [
        blocking(
            "amendment_before_contract",
            "an avenant is signed once the contract runs",
            "L1243-13",
            signed_on=signed_on,
            contract_start=contract_start,
        )
    ]


# --- contracts ----------------------------------------------------------------------


CENT = Decimal("0.01")


@dataclass(frozen=True)
class ContractFacts:
    kind: ContractKind
    start: dt.date
    end: dt.date | None  # None: open-ended (CDI inclusion)
    weekly_hours: Decimal


@dataclass(frozen=True)
class DerogationFacts:
    kind: DerogationKind
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class CdiInclusionYear:
    """A structure's year, as the CDI inclusion share reads it: the ETP conventionnés
    of its annexes, whether the préfet raised the share, and the weekly hours of its
    other CDI inclusion contracts in force that year."""

    year: int
    etp_conventionnes: Decimal
    prefet_share: bool
    other_weekly_hours: Decimal


@dataclass(frozen=True)
class Situation:
    """What the rules need to know besides the contract itself."""

    structure_kind: StructureKind
    birth_date: dt.date
    parcours_entry: dt.date
    pass_start: dt.date | None
    pass_end: dt.date | None
    parcours_contracts: Sequence[ContractFacts] = ()  # the parcours' other contracts
    structure_contracts: Sequence[ContractFacts] = ()  # the salarié's others in the structure
    derogations: Sequence[DerogationFacts] = ()  # recorded on the parcours
    # for a CDI inclusion: the structure's posts of the contract's first year
    cdi_inclusion_year: CdiInclusionYear | None = None


def check_contract(
    contract: ContractFacts, situation: Situation, p: RuleParameters
) -> list[Violation]:
    """Every rule the contract breaks, given the situation; empty when it breaks none."""
    violations = _dates(contract, situation)
    if any(v.severity is Severity.blocking for v in violations):
        return violations
    violations += _kind_fits_structure(contract, situation)
    violations += _pass_iae(contract, situation)
    violations += _overlaps(contract, situation)
    if contract.kind is ContractKind.cddi:
        violations += _cddi_duration(contract, situation, p)
        violations += _cddi_weekly_hours(contract, situation, p)
    elif contract.kind is ContractKind.ctti:
        violations += _ctti_duration(contract, situation, p)
    elif contract.kind is ContractKind.cdi_inclusion:
        violations += _cdi_inclusion(contract, situation, p)
    return violations


def _dates(contract: ContractFacts, situation: Situation) -> list[Violation]:
    if contract.end is None and contract.kind is not ContractKind.cdi_inclusion:
        return [blocking("end_date_required", "only a CDI inclusion is open-ended", "L1242-7")]
    if contract.end is not None and contract.kind is ContractKind.cdi_inclusion:
        return [blocking("cdi_has_no_end", "a CDI inclusion has no end date", "L5132-15-1-1")]
    if contract.end is not None and contract.end < contract.start:
        return [blocking("dates_reversed", "the contract ends after it starts", "L1242-7")]
    if contract.start < situation.parcours_entry:
        return [
            blocking(
                "contract_before_parcours",
                "a contract starts on or after the parcours entry",
                "L5132-1",
                start=contract.start,
                parcours_entry=situation.parcours_entry,
            )
        ]
    return []


def _kind_fits_structure(contract: ContractFacts, situation: Situation) -> list[Violation]:
    allowed = CONTRACT_KINDS_BY_STRUCTURE[contract.kind]
    if situation.structure_kind in allowed:
        return []
    return [
        blocking(
            "contract_kind_not_allowed",
            f"a {contract.kind.value} is signed in {', '.join(sorted(allowed))} only",
            "L5132-5, L5132-6, L5132-11-1, L5132-15-1",
            contract_kind=contract.kind.value,
            structure_kind=situation.structure_kind.value,
        )
    ]


def _pass_iae(contract: ContractFacts, situation: Situation) -> list[Violation]:
    if situation.pass_start is None or situation.pass_end is None:
        return [blocking("pass_iae_missing", "a contract needs a PASS IAE", "L5132-3")]
    if not situation.pass_start <= contract.start <= situation.pass_end:
        return [
            blocking(
                "pass_iae_not_covering_start",
                "the PASS IAE is valid on the day the contract starts",
                "L5132-3",
                start=contract.start,
                pass_start=situation.pass_start,
                pass_end=situation.pass_end,
            )
        ]
    if contract.end is not None and contract.end > situation.pass_end:
        return [
            warning(
                "contract_ends_after_pass_iae",
                "the contract runs past the PASS IAE: prolong it or end the contract",
                "L5132-3",
                end=contract.end,
                pass_end=situation.pass_end,
            )
        ]
    return []


def _overlaps(contract: ContractFacts, situation: Situation) -> list[Violation]:
    far_future = dt.date.max
    end = contract.end or far_future
    clashes = [
        other
        for other in situation.structure_contracts
        if other.start <= end and contract.start <= (other.end or far_future)
    ]
    return [
        blocking(
            "contracts_overlap",
            "a salarié holds one contract at a time in a structure",
            "L5132-5",
            other_start=other.start,
            other_end=other.end or "open-ended",
        )
        for other in clashes
    ]


def _total_days(contracts: Iterable[ContractFacts]) -> tuple[int, dt.date | None]:
    dated = [c for c in contracts if c.end is not None]
    total = sum(days_in(c.start, c.end) for c in dated if c.end is not None)
    first = min((c.start for c in dated), default=None)
    return total, first


def _cddi_duration(
    contract: ContractFacts, situation: Situation, p: RuleParameters
) -> list[Violation]:
    assert contract.end is not None
    article = CDDI_ARTICLES.get(situation.structure_kind, "L5132-15-1")
    violations = []
    shortest = last_day_of_months(contract.start, p.cddi_min_months)
    if contract.end < shortest:
        violations.append(
            blocking(
                "cddi_too_short",
                f"a CDDI lasts at least {p.cddi_min_months} months",
                article,
                start=contract.start,
                end=contract.end,
                earliest_end=shortest,
            )
        )
    cddis = [c for c in situation.parcours_contracts if c.kind is ContractKind.cddi]
    total, first = _total_days([*cddis, contract])
    assert first is not None
    if total <= days_in(first, last_day_of_months(first, p.cddi_max_months)):
        return violations
    extended = _may_run_longer(contract, situation)
    limit = days_in(first, last_day_of_months(first, p.cddi_max_months_with_derogation))
    if extended and total <= limit:
        return violations
    months = p.cddi_max_months_with_derogation if extended else p.cddi_max_months
    violations.append(
        blocking(
            "cddi_too_long",
            f"CDDI last {months} months at most in total, renewals included"
            + ("" if extended else ", unless a derogation is recorded"),
            article,
            total_days=total,
            first_start=first,
            months=months,
        )
    )
    return violations


def _may_run_longer(contract: ContractFacts, situation: Situation) -> bool:
    """Whether a recorded derogation lets CDDI run beyond the usual total: 50 or
    older, RQTH, particular difficulties; or a training under way until it ends."""
    for derogation in situation.derogations:
        if derogation.kind not in EXTENDING_DEROGATIONS:
            continue
        if derogation.kind is DerogationKind.formation_en_cours:
            if contract.end is not None and derogation.end >= contract.end:
                return True
        else:
            return True
    return False


def _cddi_weekly_hours(
    contract: ContractFacts, situation: Situation, p: RuleParameters
) -> list[Violation]:
    article = CDDI_ARTICLES.get(situation.structure_kind, "L5132-15-1")
    if contract.weekly_hours > Decimal(str(p.weekly_hours_max)):
        return [
            blocking(
                "weekly_hours_too_high",
                f"a CDDI is at most {p.weekly_hours_max:g} h a week",
                article,
                weekly_hours=contract.weekly_hours,
            )
        ]
    if contract.weekly_hours >= Decimal(str(p.weekly_hours_min)):
        return []
    assert contract.end is not None
    covered = any(
        d.kind in UNDER_20H_DEROGATIONS and d.start <= contract.start and d.end >= contract.end
        for d in situation.derogations
    )
    if covered:
        return []
    return [
        blocking(
            "weekly_hours_too_low",
            f"a CDDI is at least {p.weekly_hours_min:g} h a week, unless an under-20-hours "
            "derogation covers the whole contract",
            article,
            weekly_hours=contract.weekly_hours,
        )
    ]


def _ctti_duration(
    contract: ContractFacts, situation: Situation, p: RuleParameters
) -> list[Violation]:
    cttis = [c for c in situation.parcours_contracts if c.kind is ContractKind.ctti]
    total, first = _total_days([*cttis, contract])
    assert first is not None
    if total <= days_in(first, last_day_of_months(first, p.ctti_max_months)):
        return []
    return [
        blocking(
            "ctti_too_long",
            f"CTTI missions last {p.ctti_max_months} months at most in total",
            "L5132-6",
            total_days=total,
            first_start=first,
        )
    ]


def _cdi_inclusion(
    contract: ContractFacts, situation: Situation, p: RuleParameters
) -> list[Violation]:
    violations = []
    age = age_on(situation.birth_date, contract.start)
    if age < p.cdi_inclusion_min_age:
        violations.append(
            blocking(
                "cdi_inclusion_too_young",
                f"a CDI inclusion is for salariés aged {p.cdi_inclusion_min_age} or more",
                "L5132-15-1-1",
                age_on_start=age,
            )
        )
    earliest = add_months(situation.parcours_entry, p.cdi_inclusion_min_parcours_months)
    if contract.start < earliest:
        violations.append(
            blocking(
                "cdi_inclusion_parcours_too_short",
                f"a CDI inclusion comes after {p.cdi_inclusion_min_parcours_months} months "
                "of parcours",
                "L5132-15-1-1",
                parcours_entry=situation.parcours_entry,
                earliest_start=earliest,
            )
        )
    if contract.weekly_hours < Decimal(str(p.cdi_inclusion_min_weekly_hours)):
        violations.append(
            blocking(
                "cdi_inclusion_too_few_hours",
                f"a CDI inclusion is at least {p.cdi_inclusion_min_weekly_hours:g} h a week",
                "L5132-15-1-1",
                weekly_hours=contract.weekly_hours,
            )
        )
    if situation.cdi_inclusion_year is not None:
        violations += _cdi_inclusion_share(contract, situation.cdi_inclusion_year, p)
    return violations


def _cdi_inclusion_share(
    contract: ContractFacts, year: CdiInclusionYear, p: RuleParameters
) -> list[Violation]:
    """The structure's CDI inclusion posts, in ETP (weekly hours over a full-time week),
    stay within a share of the year's ETP conventionnés."""
    percent = (
        p.cdi_inclusion_prefet_share_percent
        if year.prefet_share
        else p.cdi_inclusion_max_share_percent
    )
    full_time = Decimal(str(p.weekly_hours_max))
    posts = ((year.other_weekly_hours + contract.weekly_hours) / full_time).quantize(CENT)
    allowed = (year.etp_conventionnes * Decimal(str(percent)) / 100).quantize(CENT)
    if posts <= allowed:
        return []
    return [
        blocking(
            "cdi_inclusion_share_exceeded",
            f"a structure's CDI inclusion posts are at most {percent:g} % of its ETP "
            "conventionnés of the year",
            "L5132-15-1-1",
            year=year.year,
            posts_etp=posts,
            etp_conventionnes=year.etp_conventionnes,
            allowed_etp=allowed,
        )
    ]


# --- derogations ------------------------------------------------------------------


def check_derogation(
    derogation: DerogationFacts, situation: Situation, p: RuleParameters
) -> list[Violation]:
    if derogation.end < derogation.start:
        return [blocking("dates_reversed", "the derogation ends after it starts", "L5132-15-1")]
    if derogation.kind is DerogationKind.senior_50_ans_ou_plus:
        age = age_on(situation.birth_date, derogation.start)
        if age < 50:
            return [
                blocking(
                    "derogation_senior_too_young",
                    "the senior derogation is for salariés aged 50 or more",
                    "L5132-15-1",
                    age=age,
                )
            ]
    if derogation.kind is DerogationKind.moins_20h_prefet:
        if situation.structure_kind is not StructureKind.ACI:
            return [_not_for_kind(derogation, situation)]
        return _at_most(derogation, p.under_20h_prefet_max_months, "L5132-15-1")
    if derogation.kind is DerogationKind.moins_20h_autre_emploi:
        if situation.structure_kind is StructureKind.ETTI:
            return [_not_for_kind(derogation, situation)]
        earliest = add_months(situation.parcours_entry, p.under_20h_other_job_after_months)
        if derogation.start < earliest:
            return [
                blocking(
                    "derogation_too_early",
                    f"this derogation comes after {p.under_20h_other_job_after_months} months "
                    "of parcours",
                    "L5132-15-1",
                    earliest_start=earliest,
                )
            ]
        return _at_most(derogation, p.under_20h_other_job_max_months, "L5132-15-1")
    return []


def _not_for_kind(derogation: DerogationFacts, situation: Situation) -> Violation:
    return blocking(
        "derogation_not_for_structure_kind",
        f"the {derogation.kind.value} derogation does not apply in a "
        f"{situation.structure_kind.value}",
        "L5132-15-1",
    )


def _at_most(derogation: DerogationFacts, months: int, article: str) -> list[Violation]:
    if derogation.end > last_day_of_months(derogation.start, months):
        return [
            blocking(
                "derogation_too_long",
                f"the {derogation.kind.value} derogation lasts {months} months at most",
                article,
                start=derogation.start,
                end=derogation.end,
            )
        ]
    return []


# --- hours ------------------------------------------------------------------------


def hours_violations(
    contract: ContractFacts, month: dt.date, hours: Decimal, p: RuleParameters
) -> list[Violation]:
    """Hours worked in ``month`` (its first day) on the contract."""
    month_end = add_months(month, 1) - ONE_DAY
    start = max(month, contract.start)
    end = min(month_end, contract.end or month_end)
    if end < start:
        return [
            blocking(
                "month_outside_contract",
                "hours are recorded for a month the contract covers",
                "L3171-2",
                month=month.strftime("%Y-%m"),
            )
        ]
    maximum = Decimal(str(p.max_weekly_hours_worked)) * days_in(start, end) / 7
    if hours > maximum:
        return [
            blocking(
                "hours_over_legal_maximum",
                f"at most {p.max_weekly_hours_worked:g} h a week over the days worked in the month",
                "L3121-20",
                hours=hours,
                maximum=maximum.quantize(Decimal("0.01")),
            )
        ]
    return []
