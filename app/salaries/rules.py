"""The PASS IAE's rules, as pure functions: dates in, an end date or violations out.
No I/O; every number comes from :class:`RuleParameters`.

A suspension stops the PASS IAE's clock (R5132-1-7), a prolongation runs it on past its
end (R5132-1-8): both move the end by their length, each by its own limits and motives.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.reference.enums import (
    CRITERION_LEVEL,
    DiagnosticAuthor,
    EligibilityCriterion,
    EligibilityLevel,
    PassAdjustmentKind,
    PassAdjustmentReason,
    StructureKind,
)
from app.rules import (
    RuleParameters,
    Violation,
    add_months,
    age_on,
    blocking,
    days_in,
    last_day_of_months,
)

Reason = PassAdjustmentReason
SUSPENSION = "R5132-1-7"
PROLONGATION = "R5132-1-8"

SUSPENSION_REASONS = frozenset(
    {
        # the contract suspended for more than 15 days
        Reason.arret_maladie,
        Reason.conge_maternite,
        Reason.incarceration,
        Reason.force_majeure,
        # the contract broken or ended
        Reason.rupture_contrat,
        Reason.contrat_hors_iae,
        Reason.periode_essai_hors_iae,
        # agreed by the local committee, a contrat passerelle
        Reason.accord_cta,
        Reason.contrat_passerelle,
    }
)
PROLONGATION_REASONS = frozenset(Reason) - SUSPENSION_REASONS


@dataclass(frozen=True)
class Adjustment:
    start: dt.date
    end: dt.date
    kind: PassAdjustmentKind = PassAdjustmentKind.suspension
    reason: PassAdjustmentReason = Reason.arret_maladie
    # a prolongation for a training under way runs until that training ends, at most
    training_end: dt.date | None = None


@dataclass(frozen=True)
class PassFacts:
    """What a new adjustment is judged against: the PASS IAE as it stands, its holder
    and the structure asking, and the day the request is made."""

    start: dt.date
    end: dt.date
    accepted: Sequence[Adjustment]
    birth_date: dt.date | None
    structure_kind: StructureKind
    today: dt.date


def pass_iae_end(start: dt.date, adjustments: Iterable[Adjustment], p: RuleParameters) -> dt.date:
    """Validity from ``start`` for the set number of days, moved by every suspension
    and prolongation by its length."""
    extra = sum(days_in(a.start, a.end) for a in adjustments)
    return start + dt.timedelta(days=p.pass_iae_validity_days - 1 + extra)


def adjustment_violations(
    adjustment: Adjustment, facts: PassFacts, p: RuleParameters
) -> list[Violation]:
    """Every rule the request breaks (all blocking): its dates, its motive's kind, then
    the limits of a suspension or of a prolongation for that motive."""
    if adjustment.end < adjustment.start:
        return [blocking("dates_reversed", "the end comes after the start", "L5132-3")]
    suspension = adjustment.kind is PassAdjustmentKind.suspension
    if (adjustment.reason in SUSPENSION_REASONS) is not suspension:
        return [
            blocking(
                "pass_adjustment_reason_not_for_kind",
                f"this motive is not one of a {adjustment.kind.value}",
                SUSPENSION if suspension else PROLONGATION,
                kind=adjustment.kind.value,
                reason=adjustment.reason.value,
            )
        ]
    overlapping = [
        a for a in facts.accepted if a.start <= adjustment.end and adjustment.start <= a.end
    ]
    violations = [
        blocking(
            "pass_adjustments_overlap",
            "a PASS IAE's suspensions and prolongations do not overlap",
            SUSPENSION if suspension else PROLONGATION,
            start=adjustment.start,
            end=adjustment.end,
            other_start=other.start,
            other_end=other.end,
        )
        for other in overlapping[:1]
    ]
    if suspension:
        return violations + _suspension_violations(adjustment, facts, p)
    return violations + _prolongation_violations(adjustment, facts, p)


def _suspension_violations(
    adjustment: Adjustment, facts: PassFacts, p: RuleParameters
) -> list[Violation]:
    violations = []
    longest = last_day_of_months(adjustment.start, p.pass_suspension_max_months)
    if adjustment.end > longest:
        violations.append(
            blocking(
                "pass_suspension_too_long",
                f"a suspension lasts at most {p.pass_suspension_max_months} months",
                SUSPENSION,
                start=adjustment.start,
                end=adjustment.end,
                latest_end=longest,
            )
        )
    earliest = facts.today - dt.timedelta(days=p.pass_suspension_backdating_days)
    if adjustment.start < earliest:
        violations.append(
            blocking(
                "pass_suspension_backdated_too_far",
                f"a suspension is recorded at most {p.pass_suspension_backdating_days} days "
                "after it started",
                SUSPENSION,
                start=adjustment.start,
                earliest_start=earliest,
            )
        )
    if not facts.start <= adjustment.start <= facts.end:
        violations.append(
            blocking(
                "pass_suspension_outside_validity",
                "a suspension starts while the PASS IAE is valid",
                SUSPENSION,
                start=adjustment.start,
                pass_start=facts.start,
                pass_end=facts.end,
            )
        )
    return violations


def _prolongation_violations(
    adjustment: Adjustment, facts: PassFacts, p: RuleParameters
) -> list[Violation]:
    violations = []
    follows = facts.end + dt.timedelta(days=1)
    if adjustment.start != follows:
        violations.append(
            blocking(
                "pass_prolongation_not_contiguous",
                "a prolongation starts the day after the PASS IAE's current end",
                PROLONGATION,
                start=adjustment.start,
                expected_start=follows,
            )
        )
    longest = last_day_of_months(adjustment.start, p.pass_prolongation_max_months)
    if adjustment.end > longest:
        violations.append(
            blocking(
                "pass_prolongation_too_long",
                f"a prolongation lasts at most {p.pass_prolongation_max_months} months per request",
                PROLONGATION,
                start=adjustment.start,
                end=adjustment.end,
                latest_end=longest,
            )
        )
    return violations + _motive_violations(adjustment, facts, p)


def _motive_violations(
    adjustment: Adjustment, facts: PassFacts, p: RuleParameters
) -> list[Violation]:
    """What the prolongation's motive allows: who, where, and how long in total."""
    reason = adjustment.reason
    if reason is Reason.formation_en_cours:
        if adjustment.training_end is None:
            return [
                blocking(
                    "pass_prolongation_training_end_missing",
                    "a prolongation for a training under way names the day it ends",
                    PROLONGATION,
                )
            ]
        if adjustment.end > adjustment.training_end:
            return [
                blocking(
                    "pass_prolongation_past_training",
                    "a prolongation for a training lasts until the training ends, at most",
                    PROLONGATION,
                    end=adjustment.end,
                    training_end=adjustment.training_end,
                )
            ]
        return []
    violations = []
    minimum_age = {
        Reason.senior_50_ans_ou_plus: p.pass_prolongation_senior_min_age,
        Reason.cdi_inclusion_57_ans_ou_plus: p.cdi_inclusion_min_age,
    }.get(reason)
    if minimum_age is not None:
        age = None if facts.birth_date is None else age_on(facts.birth_date, adjustment.start)
        if age is None or age < minimum_age:
            violations.append(
                blocking(
                    "pass_prolongation_age",
                    f"this prolongation is for a person of {minimum_age} or older",
                    PROLONGATION,
                    minimum_age=minimum_age,
                    age="unknown" if age is None else age,
                )
            )
    if reason is Reason.difficultes_particulieres and facts.structure_kind not in {
        StructureKind.AI,
        StructureKind.ACI,
    }:
        violations.append(
            blocking(
                "pass_prolongation_structure_kind",
                "a prolongation for particular difficulties is for AI and ACI only",
                PROLONGATION,
                structure_kind=facts.structure_kind.value,
            )
        )
    total_months = {
        Reason.rqth: p.pass_prolongation_rqth_max_months,
        Reason.senior_50_ans_ou_plus: p.pass_prolongation_senior_max_months,
        Reason.difficultes_particulieres: p.pass_prolongation_difficulties_max_months,
    }.get(reason)
    if total_months is not None:
        same = [a for a in facts.accepted if a.kind is adjustment.kind and a.reason is reason]
        first = min((a.start for a in same), default=adjustment.start)
        allowed = days_in(first, last_day_of_months(first, total_months))
        used = sum(days_in(a.start, a.end) for a in same)
        if used + days_in(adjustment.start, adjustment.end) > allowed:
            violations.append(
                blocking(
                    "pass_prolongation_total_exceeded",
                    f"prolongations for this motive last at most {total_months} months in all",
                    PROLONGATION,
                    reason=reason.value,
                    days_used=used,
                    days_asked=days_in(adjustment.start, adjustment.end),
                    days_allowed=allowed,
                )
            )
    return violations


@dataclass(frozen=True)
class EarlierPass:
    number: str | None
    end: dt.date


def new_pass_violations(
    number: str,
    start: dt.date,
    earlier: Iterable[EarlierPass],
    prescriber_orientation: bool,
    p: RuleParameters,
) -> list[Violation]:
    """A new PASS IAE for a person whose earlier one ended less than the set wait before
    (2 years) is refused, unless an authorised prescriber orients them. The same number
    is the same PASS IAE, carried from one structure to the next."""
    if prescriber_orientation:
        return []
    ended = [e.end for e in earlier if e.number != number and e.end < start]
    if not ended:
        return []
    last_end = max(ended)
    wait_over = add_months(last_end, p.pass_iae_wait_months)
    if start > wait_over:
        return []
    return [
        blocking(
            "pass_iae_wait",
            f"a new PASS IAE comes {p.pass_iae_wait_months} months after the last one ended, "
            "unless an authorised prescriber orients the person",
            "L5132-3",
            start=start,
            earlier_end=last_end,
            earliest_start=wait_over + dt.timedelta(days=1),
        )
    ]


def diagnostic_valid_until(
    made_on: dt.date, author: DiagnosticAuthor, p: RuleParameters
) -> dt.date:
    """The last day an eligibility diagnostic allows a hire: 6 months from a
    prescriber's, 92 days from the SIAE's own."""
    if author is DiagnosticAuthor.prescripteur:
        return last_day_of_months(made_on, p.diagnostic_prescriber_valid_months)
    return made_on + dt.timedelta(days=p.diagnostic_siae_valid_days - 1)


@dataclass(frozen=True)
class Diagnostic:
    made_on: dt.date
    author: DiagnosticAuthor


def hire_diagnostic_violations(
    hired_on: dt.date, diagnostic: Diagnostic | None, p: RuleParameters
) -> list[Violation]:
    """A hire starts within the validity of the latest diagnostic made by then."""
    if diagnostic is None:
        return [
            blocking(
                "eligibility_diagnostic_missing",
                "a hire follows an eligibility diagnostic made on or before its first day",
                "L5132-3",
                hired_on=hired_on,
            )
        ]
    valid_until = diagnostic_valid_until(diagnostic.made_on, diagnostic.author, p)
    if hired_on <= valid_until:
        return []
    validity = (
        f"{p.diagnostic_prescriber_valid_months} months after a prescriber made it"
        if diagnostic.author is DiagnosticAuthor.prescripteur
        else f"{p.diagnostic_siae_valid_days} days after the SIAE made it"
    )
    return [
        blocking(
            "eligibility_diagnostic_expired",
            f"a diagnostic allows a hire until {validity}",
            "L5132-3",
            hired_on=hired_on,
            made_on=diagnostic.made_on,
            valid_until=valid_until,
        )
    ]


def eligibility_violations(
    kind: StructureKind, criteria: Iterable[EligibilityCriterion], p: RuleParameters
) -> list[Violation]:
    levels = [CRITERION_LEVEL[criterion] for criterion in set(criteria)]
    if EligibilityLevel.niveau_1 in levels:
        return []
    required = (
        p.eligibility_level_2_required_ai_etti
        if kind in (StructureKind.AI, StructureKind.ETTI)
        else p.eligibility_level_2_required_others
    )
    found = levels.count(EligibilityLevel.niveau_2)
    if found >= required:
        return []
    return [
        blocking(
            "eligibility_insufficient",
            f"one level-1 criterion, or {required} level-2 criteria in a {kind.value}",
            "L5132-3",
            level_2_criteria=found,
            required=required,
        )
    ]
