"""The PASS IAE's rules (app/salaries/rules.py): its end, and each motive's limits."""

import dataclasses
import datetime as dt

import pytest

from app.reference.enums import (
    DiagnosticAuthor,
    EligibilityCriterion,
    PassAdjustmentKind,
    PassAdjustmentReason,
    StructureKind,
)
from app.rules import RuleParameters
from app.salaries.rules import (
    PROLONGATION_REASONS,
    SUSPENSION_REASONS,
    Adjustment,
    Diagnostic,
    EarlierPass,
    PassFacts,
    adjustment_violations,
    diagnostic_valid_until,
    eligibility_violations,
    hire_diagnostic_violations,
    new_pass_violations,
    pass_iae_end,
)

P = RuleParameters()
D = dt.date
SUSPENSION, PROLONGATION = PassAdjustmentKind.suspension, PassAdjustmentKind.prolongation
R = PassAdjustmentReason
# a PASS IAE of 2024 still running on the day of the request
FACTS = PassFacts(
    start=D(2024, 1, 1),
    end=D(2025, 12, 30),
    accepted=[],
    birth_date=D(1970, 6, 1),  # 55 in 2025
    structure_kind=StructureKind.ACI,
    today=D(2025, 6, 1),
)


def suspension(start: dt.date, end: dt.date, reason: R = R.arret_maladie) -> Adjustment:
    return Adjustment(start, end, SUSPENSION, reason)


def prolongation(
    start: dt.date, end: dt.date, reason: R = R.rqth, training_end: dt.date | None = None
) -> Adjustment:
    return Adjustment(start, end, PROLONGATION, reason, training_end)


def codes(adjustment: Adjustment, facts: PassFacts = FACTS, p: RuleParameters = P) -> list[str]:
    return [violation.code for violation in adjustment_violations(adjustment, facts, p)]


def test_pass_iae_runs_730_days_moved_by_its_adjustments() -> None:
    assert pass_iae_end(D(2024, 1, 1), [], P) == D(2025, 12, 30)
    moved = [
        suspension(D(2024, 3, 1), D(2024, 3, 31)),
        prolongation(D(2025, 12, 31), D(2026, 6, 30)),
    ]
    assert pass_iae_end(D(2024, 1, 1), moved, P) == D(2026, 7, 31)


def test_every_motive_is_of_one_kind_and_refused_for_the_other() -> None:
    assert set(R) == SUSPENSION_REASONS | PROLONGATION_REASONS
    assert not SUSPENSION_REASONS & PROLONGATION_REASONS
    for reason in SUSPENSION_REASONS:
        wrong = prolongation(D(2025, 12, 31), D(2026, 3, 31), reason)
        assert codes(wrong) == ["pass_adjustment_reason_not_for_kind"]
    for reason in PROLONGATION_REASONS:
        wrong = suspension(D(2025, 5, 1), D(2025, 5, 31), reason)
        assert codes(wrong) == ["pass_adjustment_reason_not_for_kind"]


def test_reversed_dates_are_refused_first() -> None:
    assert codes(suspension(D(2025, 5, 31), D(2025, 5, 1))) == ["dates_reversed"]


@pytest.mark.parametrize(
    ("end", "too_long"),
    [
        (D(2028, 4, 30), False),  # exactly 36 months
        (D(2028, 5, 1), True),
    ],
)
def test_a_suspension_lasts_36_months_at_most(end: dt.date, too_long: bool) -> None:
    assert ("pass_suspension_too_long" in codes(suspension(D(2025, 5, 1), end))) is too_long


def test_a_20_month_suspension_is_legal() -> None:
    assert codes(suspension(D(2025, 5, 1), D(2026, 12, 31), R.incarceration)) == []


@pytest.mark.parametrize(
    ("start", "refused"),
    [
        (D(2024, 6, 1), False),  # 365 days before the request
        (D(2024, 5, 31), True),
    ],
)
def test_a_suspension_is_backdated_by_365_days_at_most(start: dt.date, refused: bool) -> None:
    found = codes(suspension(start, start + dt.timedelta(days=30)))
    assert ("pass_suspension_backdated_too_far" in found) is refused


@pytest.mark.parametrize(
    ("start", "refused"),
    [
        (D(2023, 12, 31), True),
        (D(2024, 1, 1), False),
        (D(2025, 12, 30), False),
        (D(2025, 12, 31), True),
    ],
)
def test_a_suspension_starts_while_the_pass_is_valid(start: dt.date, refused: bool) -> None:
    facts = dataclasses.replace(FACTS, today=D(2024, 12, 1))
    if start > facts.today:
        facts = dataclasses.replace(facts, today=start)
    found = codes(suspension(start, start + dt.timedelta(days=20)), facts)
    assert ("pass_suspension_outside_validity" in found) is refused


def test_adjustments_do_not_overlap() -> None:
    facts = dataclasses.replace(FACTS, accepted=[suspension(D(2025, 3, 1), D(2025, 3, 31))])
    assert codes(suspension(D(2025, 3, 31), D(2025, 4, 15)), facts) == ["pass_adjustments_overlap"]
    assert codes(suspension(D(2025, 4, 1), D(2025, 4, 15)), facts) == []


@pytest.mark.parametrize(
    ("start", "refused"),
    [(D(2025, 12, 30), True), (D(2025, 12, 31), False), (D(2026, 1, 1), True)],
)
def test_a_prolongation_starts_the_day_after_the_current_end(start: dt.date, refused: bool) -> None:
    found = codes(prolongation(start, start + dt.timedelta(days=60)))
    assert ("pass_prolongation_not_contiguous" in found) is refused


@pytest.mark.parametrize(
    ("end", "too_long"),
    [(D(2026, 12, 30), False), (D(2026, 12, 31), True)],  # 12 months, then one day more
)
def test_a_prolongation_lasts_12_months_per_request(end: dt.date, too_long: bool) -> None:
    assert ("pass_prolongation_too_long" in codes(prolongation(D(2025, 12, 31), end))) is too_long


def chained(reason: R, count: int, facts: PassFacts = FACTS) -> tuple[PassFacts, list[str]]:
    """``count`` prolongations of 12 months, each asked once the one before is accepted;
    the codes of the last one."""
    found: list[str] = []
    for _ in range(count):
        start = facts.end + dt.timedelta(days=1)
        asked = prolongation(
            start, dt.date(start.year + 1, start.month, start.day) - dt.timedelta(days=1), reason
        )
        found = codes(asked, facts)
        if found:
            return facts, found
        facts = dataclasses.replace(
            facts, end=asked.end, accepted=[*facts.accepted, asked], today=asked.start
        )
    return facts, found


@pytest.mark.parametrize(
    ("reason", "allowed"),
    [(R.rqth, 3), (R.difficultes_particulieres, 3), (R.senior_50_ans_ou_plus, 5)],
)
def test_prolongations_for_a_motive_add_up_to_its_limit(reason: R, allowed: int) -> None:
    assert chained(reason, allowed)[1] == []
    assert chained(reason, allowed + 1)[1] == ["pass_prolongation_total_exceeded"]


def test_each_motive_counts_its_own_prolongations() -> None:
    facts, found = chained(R.rqth, 3)
    assert found == []
    # RQTH spent; 50 or older still has its own five years
    assert chained(R.senior_50_ans_ou_plus, 5, facts)[1] == []


def test_cdi_inclusion_prolongations_have_no_total() -> None:
    older = dataclasses.replace(FACTS, birth_date=D(1960, 1, 1))
    assert chained(R.cdi_inclusion_57_ans_ou_plus, 8, older)[1] == []


@pytest.mark.parametrize(
    ("reason", "birth_date", "refused"),
    [
        (R.senior_50_ans_ou_plus, D(1989, 1, 1), True),  # 36
        (R.senior_50_ans_ou_plus, D(1975, 12, 31), False),  # 50 on the start
        (R.senior_50_ans_ou_plus, D(1976, 1, 1), True),  # 50 the day after
        (R.senior_50_ans_ou_plus, None, True),  # not known: pseudonymised
        (R.cdi_inclusion_57_ans_ou_plus, D(1968, 12, 31), False),  # 57 on the start
        (R.cdi_inclusion_57_ans_ou_plus, D(1970, 6, 1), True),  # 55
        (R.rqth, D(1989, 1, 1), False),  # no age for RQTH
    ],
)
def test_an_age_motive_is_for_a_person_of_that_age(
    reason: R, birth_date: dt.date | None, refused: bool
) -> None:
    facts = dataclasses.replace(FACTS, birth_date=birth_date)
    found = codes(prolongation(D(2025, 12, 31), D(2026, 6, 30), reason), facts)
    assert ("pass_prolongation_age" in found) is refused


@pytest.mark.parametrize("kind", list(StructureKind))
def test_particular_difficulties_are_for_ai_and_aci(kind: StructureKind) -> None:
    facts = dataclasses.replace(FACTS, structure_kind=kind)
    found = codes(prolongation(D(2025, 12, 31), D(2026, 6, 30), R.difficultes_particulieres), facts)
    assert ("pass_prolongation_structure_kind" in found) is (
        kind not in {StructureKind.AI, StructureKind.ACI}
    )


@pytest.mark.parametrize(
    ("training_end", "expected"),
    [
        (None, ["pass_prolongation_training_end_missing"]),
        (D(2026, 3, 31), ["pass_prolongation_past_training"]),
        (D(2026, 6, 30), []),
        (D(2027, 6, 30), []),
    ],
)
def test_a_training_prolongation_lasts_until_the_training_ends(
    training_end: dt.date | None, expected: list[str]
) -> None:
    asked = prolongation(D(2025, 12, 31), D(2026, 6, 30), R.formation_en_cours, training_end)
    assert codes(asked) == expected


def test_the_limits_are_settings() -> None:
    longer = P.model_copy(
        update={"pass_suspension_max_months": 48, "pass_prolongation_rqth_max_months": 48}
    )
    assert codes(suspension(D(2025, 5, 1), D(2029, 4, 30)), p=longer) == []
    assert chained(R.rqth, 4)[1] == ["pass_prolongation_total_exceeded"]
    facts, found = FACTS, []
    for _ in range(4):
        start = facts.end + dt.timedelta(days=1)
        asked = prolongation(
            start, D(start.year + 1, start.month, start.day) - dt.timedelta(days=1)
        )
        found = codes(asked, facts, longer)
        facts = dataclasses.replace(facts, end=asked.end, accepted=[*facts.accepted, asked])
    assert found == []


ENDED = [EarlierPass("999990000001", D(2024, 12, 31))]


@pytest.mark.parametrize(
    ("number", "start", "oriented", "refused"),
    [
        ("999990000002", D(2026, 12, 31), False, True),  # two years to the day: still waiting
        ("999990000002", D(2027, 1, 1), False, False),
        ("999990000002", D(2025, 6, 1), True, False),  # a prescriber orients the person
        ("999990000001", D(2025, 6, 1), False, False),  # the same PASS IAE, moved
        ("999990000002", D(2024, 6, 1), False, False),  # not after one that ended
    ],
)
def test_a_new_pass_iae_waits_two_years_after_the_last_one(
    number: str, start: dt.date, oriented: bool, refused: bool
) -> None:
    found = new_pass_violations(number, start, ENDED, oriented, P)
    assert [v.code for v in found] == (["pass_iae_wait"] if refused else [])


def test_the_wait_counts_from_the_latest_end_and_is_a_setting() -> None:
    earlier = [*ENDED, EarlierPass("999990000003", D(2025, 6, 30))]
    [violation] = new_pass_violations("999990000004", D(2027, 3, 1), earlier, False, P)
    assert violation.values["earliest_start"] == "2027-07-01"
    shorter = P.model_copy(update={"pass_iae_wait_months": 12})
    assert new_pass_violations("999990000004", D(2027, 3, 1), earlier, False, shorter) == []


# --- eligibility --------------------------------------------------------------------

C = EligibilityCriterion


@pytest.mark.parametrize(
    ("kind", "criteria", "eligible"),
    [
        (StructureKind.ACI, [C.rsa], True),
        (StructureKind.ACI, [C.jeune_moins_26_ans, C.faible_qualification], False),
        (StructureKind.ACI, [C.jeune_moins_26_ans, C.faible_qualification, C.residence_qpv], True),
        (StructureKind.AI, [C.jeune_moins_26_ans, C.faible_qualification], True),
        (StructureKind.ETTI, [C.rqth], False),
        (StructureKind.EITI, [C.rqth, C.parent_isole], False),
        (StructureKind.EI, [], False),
        (StructureKind.EI, [C.rqth, C.rqth, C.rqth], False),  # the same criterion counts once
    ],
)
def test_eligibility(
    kind: StructureKind, criteria: list[EligibilityCriterion], eligible: bool
) -> None:
    assert (eligibility_violations(kind, criteria, P) == []) is eligible


# --- the eligibility diagnostic ----------------------------------------------------

PRESCRIBER, SIAE = DiagnosticAuthor.prescripteur, DiagnosticAuthor.siae


@pytest.mark.parametrize(
    ("made_on", "author", "valid_until"),
    [
        (D(2025, 1, 15), PRESCRIBER, D(2025, 7, 14)),  # 6 months
        (D(2025, 8, 31), PRESCRIBER, D(2026, 2, 27)),  # to a shorter month's end
        (D(2025, 1, 15), SIAE, D(2025, 4, 16)),  # 92 days
    ],
)
def test_a_diagnostic_is_valid_6_months_or_92_days(
    made_on: dt.date, author: DiagnosticAuthor, valid_until: dt.date
) -> None:
    assert diagnostic_valid_until(made_on, author, P) == valid_until


@pytest.mark.parametrize(
    ("hired_on", "diagnostic", "expected"),
    [
        (D(2025, 7, 14), Diagnostic(D(2025, 1, 15), PRESCRIBER), []),
        (
            D(2025, 7, 15),
            Diagnostic(D(2025, 1, 15), PRESCRIBER),
            ["eligibility_diagnostic_expired"],
        ),
        (D(2025, 4, 16), Diagnostic(D(2025, 1, 15), SIAE), []),
        (D(2025, 4, 17), Diagnostic(D(2025, 1, 15), SIAE), ["eligibility_diagnostic_expired"]),
        (D(2025, 1, 15), Diagnostic(D(2025, 1, 15), SIAE), []),  # the same day
        (D(2025, 1, 15), None, ["eligibility_diagnostic_missing"]),
    ],
)
def test_a_hire_starts_within_the_diagnostics_validity(
    hired_on: dt.date, diagnostic: Diagnostic | None, expected: list[str]
) -> None:
    assert [v.code for v in hire_diagnostic_violations(hired_on, diagnostic, P)] == expected


def test_the_validities_are_settings() -> None:
    longer = P.model_copy(
        update={"diagnostic_prescriber_valid_months": 12, "diagnostic_siae_valid_days": 30}
    )
    assert diagnostic_valid_until(D(2025, 1, 15), PRESCRIBER, longer) == D(2026, 1, 14)
    assert diagnostic_valid_until(D(2025, 1, 15), SIAE, longer) == D(2025, 2, 13)
