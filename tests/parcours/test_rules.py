"""The labour-law rules, one table per rule, at their boundaries."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.parcours.rules import (
    CdiInclusionYear,
    ContractFacts,
    DerogationFacts,
    Situation,
    amendment_violations,
    check_contract,
    check_derogation,
    exit_violations,
    hours_violations,
)
from app.reference.enums import (
    ContractKind,
    DerogationKind,
    Severity,
    StructureKind,
)
from app.rules import RuleParameters, add_months, age_on, last_day_of_months

P = RuleParameters()
D = dt.date
START = D(2024, 1, 15)
ACI = Situation(
    structure_kind=StructureKind.ACI,
    birth_date=D(1980, 6, 1),
    parcours_entry=D(2024, 1, 15),
    pass_start=D(2024, 1, 1),
    pass_end=D(2025, 12, 30),
)


def cddi(start: dt.date, end: dt.date | None, hours: str = "26") -> ContractFacts:
    return ContractFacts(ContractKind.cddi, start, end, Decimal(hours))


def codes(contract: ContractFacts, situation: Situation = ACI) -> set[str]:
    return {
        v.code for v in check_contract(contract, situation, P) if v.severity is Severity.blocking
    }


# --- calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 15), 4, D(2024, 5, 15)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2023, 11, 30), 3, D(2024, 2, 29)),
        (D(2024, 12, 1), 24, D(2026, 12, 1)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (D(1967, 3, 10), D(2024, 3, 9), 56),
        (D(1967, 3, 10), D(2024, 3, 10), 57),
        (D(1968, 2, 29), D(2025, 2, 28), 56),  # born on 29 February
        (D(1968, 2, 29), D(2025, 3, 1), 57),
    ],
)
def test_age_on(birth: dt.date, day: dt.date, age: int) -> None:
    assert age_on(birth, day) == age


# --- CDDI duration ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "too_short"),
    [
        (D(2024, 5, 14), False),  # exactly 4 months
        (D(2024, 5, 13), True),  # one day short
        (D(2024, 12, 31), False),
    ],
)
def test_cddi_lasts_at_least_four_months(end: dt.date, too_short: bool) -> None:
    assert ("cddi_too_short" in codes(cddi(START, end))) is too_short


def test_cddi_too_short_names_the_values() -> None:
    [violation] = [
        v for v in check_contract(cddi(START, D(2024, 5, 13)), ACI, P) if v.code == "cddi_too_short"
    ]
    assert violation.article == "L5132-15-1"
    assert violation.values["earliest_end"] == "2024-05-14"


LONG_ACI = replace(ACI, pass_end=D(2029, 12, 31))
FIRST = cddi(D(2024, 1, 15), D(2024, 12, 31))  # 352 days
SECOND = cddi(D(2025, 1, 1), D(2025, 6, 30))  # 181 days
# 2024-01-15 + 24 months - 1 day = 2026-01-14: 731 days in all


@pytest.mark.parametrize(
    ("third_end", "derogations", "too_long"),
    [
        (D(2026, 1, 14), (), False),  # exactly 24 months across two renewals
        (D(2026, 1, 15), (), True),  # 24 months and one day
        (
            D(2026, 1, 15),
            (DerogationFacts(DerogationKind.rqth, D(2025, 7, 1), D(2026, 12, 31)),),
            False,
        ),
        (
            D(2026, 1, 15),
            (DerogationFacts(DerogationKind.formation_en_cours, D(2025, 7, 1), D(2026, 1, 15)),),
            False,
        ),
        (
            D(2026, 1, 15),
            (DerogationFacts(DerogationKind.formation_en_cours, D(2025, 7, 1), D(2026, 1, 14)),),
            True,
        ),
        (
            D(2026, 1, 15),
            (DerogationFacts(DerogationKind.moins_20h_prefet, D(2025, 7, 1), D(2026, 1, 15)),),
            True,
        ),
    ],
)
def test_cddi_total_is_24_months_unless_a_derogation(
    third_end: dt.date, derogations: tuple[DerogationFacts, ...], too_long: bool
) -> None:
    situation = replace(
        LONG_ACI,
        parcours_contracts=(FIRST, SECOND),
        structure_contracts=(FIRST, SECOND),
        derogations=derogations,
    )
    assert ("cddi_too_long" in codes(cddi(D(2025, 7, 1), third_end), situation)) is too_long


def test_with_a_derogation_the_total_stops_at_60_months() -> None:
    situation = replace(
        ACI,
        pass_end=D(2031, 1, 1),
        derogations=(
            DerogationFacts(DerogationKind.senior_50_ans_ou_plus, D(2024, 1, 15), D(2030, 1, 1)),
        ),
    )
    assert "cddi_too_long" not in codes(cddi(START, last_day_of_months(START, 60)), situation)
    violations = codes(cddi(START, last_day_of_months(START, 60) + dt.timedelta(days=1)), situation)
    assert "cddi_too_long" in violations


# --- weekly hours -------------------------------------------------------------------

UNDER_20H = DerogationFacts(DerogationKind.moins_20h_prefet, D(2024, 1, 15), D(2024, 12, 31))


@pytest.mark.parametrize(
    ("hours", "derogations", "code"),
    [
        ("20", (), None),
        ("19.5", (), "weekly_hours_too_low"),
        ("19.5", (UNDER_20H,), None),
        ("19.5", (replace(UNDER_20H, end=D(2024, 12, 30)),), "weekly_hours_too_low"),  # not whole
        ("35", (), None),
        ("35.5", (), "weekly_hours_too_high"),
    ],
)
def test_cddi_weekly_hours(
    hours: str, derogations: tuple[DerogationFacts, ...], code: str | None
) -> None:
    found = codes(cddi(START, D(2024, 12, 31), hours), replace(ACI, derogations=derogations))
    assert found == ({code} if code else set())


# --- contract kinds, overlap, PASS IAE -------------------------------------------


@pytest.mark.parametrize(
    ("kind", "structure", "allowed"),
    [
        (ContractKind.cddi, StructureKind.ACI, True),
        (ContractKind.cddi, StructureKind.ETTI, False),
        (ContractKind.ctti, StructureKind.ETTI, True),
        (ContractKind.ctti, StructureKind.EI, False),
        (ContractKind.mise_a_disposition, StructureKind.AI, True),
        (ContractKind.mise_a_disposition, StructureKind.ACI, False),
        (ContractKind.cdi_inclusion, StructureKind.ETTI, False),
    ],
)
def test_contract_kind_fits_structure_kind(
    kind: ContractKind, structure: StructureKind, allowed: bool
) -> None:
    end = None if kind is ContractKind.cdi_inclusion else D(2024, 12, 31)
    contract = ContractFacts(kind, START, end, Decimal(26))
    found = codes(contract, replace(ACI, structure_kind=structure))
    assert ("contract_kind_not_allowed" not in found) is allowed


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [
        (cddi(D(2023, 6, 1), D(2024, 1, 14)), False),
        (cddi(D(2023, 6, 1), D(2024, 1, 15)), True),  # shares one day
        (cddi(D(2024, 12, 31), D(2025, 5, 1)), True),
        (cddi(D(2025, 1, 1), D(2025, 5, 1)), False),
        (ContractFacts(ContractKind.cdi_inclusion, D(2020, 1, 1), None, Decimal(30)), True),
    ],
)
def test_no_two_contracts_at_once_in_a_structure(other: ContractFacts, overlaps: bool) -> None:
    found = codes(cddi(START, D(2024, 12, 31)), replace(ACI, structure_contracts=(other,)))
    assert ("contracts_overlap" in found) is overlaps


@pytest.mark.parametrize(
    ("pass_start", "pass_end", "code"),
    [
        (None, None, "pass_iae_missing"),
        (D(2024, 1, 16), D(2026, 1, 15), "pass_iae_not_covering_start"),
        (D(2022, 1, 15), D(2024, 1, 14), "pass_iae_not_covering_start"),
        (D(2022, 1, 16), D(2024, 1, 15), None),  # valid on the start day itself
    ],
)
def test_pass_iae_covers_the_start(
    pass_start: dt.date | None, pass_end: dt.date | None, code: str | None
) -> None:
    found = codes(
        cddi(START, D(2024, 12, 31)), replace(ACI, pass_start=pass_start, pass_end=pass_end)
    )
    assert found == ({code} if code else set())


def test_a_contract_past_the_pass_is_a_warning() -> None:
    violations = check_contract(
        cddi(START, D(2024, 12, 31)), replace(ACI, pass_end=D(2024, 6, 30)), P
    )
    assert [(v.code, v.severity) for v in violations] == [
        ("contract_ends_after_pass_iae", Severity.warning)
    ]


# --- CTTI and CDI inclusion --------------------------------------------------------

ETTI = replace(ACI, structure_kind=StructureKind.ETTI, pass_end=D(2027, 1, 1))


@pytest.mark.parametrize(("end", "too_long"), [(D(2026, 1, 14), False), (D(2026, 1, 15), True)])
def test_ctti_missions_total_24_months(end: dt.date, too_long: bool) -> None:
    first = ContractFacts(ContractKind.ctti, D(2024, 1, 15), D(2024, 6, 30), Decimal(35))
    contract = ContractFacts(ContractKind.ctti, D(2024, 7, 1), end, Decimal(35))
    found = codes(
        contract, replace(ETTI, parcours_contracts=(first,), structure_contracts=(first,))
    )
    assert ("ctti_too_long" in found) is too_long


def cdi(start: dt.date, hours: str = "24") -> ContractFacts:
    return ContractFacts(ContractKind.cdi_inclusion, start, None, Decimal(hours))


SENIOR = replace(
    ACI,
    birth_date=D(1967, 3, 10),
    parcours_entry=D(2023, 3, 10),
    pass_start=D(2023, 3, 1),
    pass_end=D(2025, 6, 1),
)


@pytest.mark.parametrize(
    ("contract", "expected"),
    [
        (cdi(D(2024, 3, 10)), set()),  # 57 that day, 12 months of parcours, 24 h
        (cdi(D(2024, 3, 9)), {"cdi_inclusion_too_young", "cdi_inclusion_parcours_too_short"}),
        (cdi(D(2024, 3, 10), "23.5"), {"cdi_inclusion_too_few_hours"}),
        (
            ContractFacts(ContractKind.cdi_inclusion, D(2024, 3, 10), D(2025, 1, 1), Decimal(24)),
            {"cdi_has_no_end"},
        ),
    ],
)
def test_cdi_inclusion_from_57_after_12_months_at_24_hours(
    contract: ContractFacts, expected: set[str]
) -> None:
    assert codes(contract, SENIOR) == expected


def year_of_posts(etp: str, other_hours: str, prefet: bool = False) -> Situation:
    return replace(
        SENIOR,
        cdi_inclusion_year=CdiInclusionYear(2024, Decimal(etp), prefet, Decimal(other_hours)),
    )


@pytest.mark.parametrize(
    ("etp", "other_hours", "prefet", "refused"),
    [
        ("10", "0", False, False),  # 24 h = 0.69 ETP of 2 allowed
        ("10", "46", False, False),  # (46 + 24) / 35 = 2.00 ETP: exactly 20 %
        ("10", "47", False, True),  # 2.03 ETP
        ("10", "81", True, False),  # 3.00 ETP: 30 % with the préfet's decision
        ("10", "82", True, True),
        ("0", "0", False, True),  # no annexe that year: no CDI inclusion post
    ],
)
def test_cdi_inclusion_posts_are_a_share_of_the_etp_conventionnes(
    etp: str, other_hours: str, prefet: bool, refused: bool
) -> None:
    found = codes(cdi(D(2024, 3, 10)), year_of_posts(etp, other_hours, prefet))
    assert ("cdi_inclusion_share_exceeded" in found) is refused


def test_the_cdi_inclusion_shares_are_settings() -> None:
    wider = P.model_copy(update={"cdi_inclusion_max_share_percent": 30})
    contract = cdi(D(2024, 3, 10))
    assert "cdi_inclusion_share_exceeded" in codes(contract, year_of_posts("10", "81"))
    assert check_contract(contract, year_of_posts("10", "81"), wider) == []


def test_only_cdi_inclusion_is_open_ended_and_dates_are_ordered() -> None:
    assert codes(cddi(START, None)) == {"end_date_required"}
    assert codes(cddi(START, D(2024, 1, 1))) == {"dates_reversed"}
    assert codes(cddi(D(2024, 1, 1), D(2024, 12, 31))) == {"contract_before_parcours"}


# --- derogations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "structure", "start", "end", "code"),
    [
        (DerogationKind.moins_20h_prefet, StructureKind.ACI, D(2024, 2, 1), D(2025, 1, 31), None),
        (
            DerogationKind.moins_20h_prefet,
            StructureKind.ACI,
            D(2024, 2, 1),
            D(2025, 2, 1),
            "derogation_too_long",
        ),
        (
            DerogationKind.moins_20h_prefet,
            StructureKind.EI,
            D(2024, 2, 1),
            D(2024, 3, 1),
            "derogation_not_for_structure_kind",
        ),
        (
            DerogationKind.moins_20h_autre_emploi,
            StructureKind.EI,
            D(2024, 5, 15),
            D(2024, 11, 14),
            None,
        ),
        (
            DerogationKind.moins_20h_autre_emploi,
            StructureKind.EI,
            D(2024, 5, 14),
            D(2024, 6, 1),
            "derogation_too_early",
        ),
        (
            DerogationKind.moins_20h_autre_emploi,
            StructureKind.EI,
            D(2024, 5, 15),
            D(2024, 11, 15),
            "derogation_too_long",
        ),
        (
            DerogationKind.moins_20h_autre_emploi,
            StructureKind.ETTI,
            D(2024, 6, 1),
            D(2024, 7, 1),
            "derogation_not_for_structure_kind",
        ),
        (
            DerogationKind.senior_50_ans_ou_plus,
            StructureKind.ACI,
            D(2030, 6, 1),
            D(2031, 1, 1),
            None,
        ),
        (
            DerogationKind.senior_50_ans_ou_plus,
            StructureKind.ACI,
            D(2030, 5, 31),
            D(2031, 1, 1),
            "derogation_senior_too_young",
        ),
    ],
)
def test_derogations(
    kind: DerogationKind, structure: StructureKind, start: dt.date, end: dt.date, code: str | None
) -> None:
    violations = check_derogation(
        DerogationFacts(kind, start, end), replace(ACI, structure_kind=structure), P
    )
    assert {v.code for v in violations} == ({code} if code else set())


# --- hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "hours", "code"),
    [
        (D(2024, 2, 1), "198.85", None),  # 48 h x 29 days / 7 in February 2024 (leap)
        (D(2024, 2, 1), "198.86", "hours_over_legal_maximum"),
        (D(2024, 1, 1), "116.57", None),  # from the 15th: 17 days
        (D(2023, 12, 1), "1", "month_outside_contract"),
        (D(2025, 1, 1), "1", "month_outside_contract"),
    ],
)
def test_hours_in_a_month(month: dt.date, hours: str, code: str | None) -> None:
    contract = cddi(START, D(2024, 12, 31))
    found = {v.code for v in hours_violations(contract, month, Decimal(hours), P)}
    assert found == ({code} if code else set())


@given(
    st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(min_value=0, max_value=120),
)
def test_a_period_of_n_months_ends_the_day_before_n_months_later(
    start: dt.date, months: int
) -> None:
    end = last_day_of_months(start, months)
    assert end < add_months(start, months)
    assert add_months(start, months) - end == dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("exit_date", "refused"),
    [(D(2024, 1, 14), True), (D(2024, 1, 15), False), (D(2024, 6, 30), False)],
)
def test_an_exit_comes_on_or_after_the_entry(exit_date: dt.date, refused: bool) -> None:
    violations = exit_violations(START, exit_date)
    assert [v.code for v in violations] == (["exit_before_entry"] if refused else [])
    if refused:
        assert violations[0].article == "L5132-1"
        assert violations[0].severity is Severity.blocking


@pytest.mark.parametrize(
    ("signed_on", "refused"),
    [(D(2024, 1, 14), True), (D(2024, 1, 15), False), (D(2024, 7, 1), False)],
)
def test_an_avenant_is_signed_once_the_contract_runs(signed_on: dt.date, refused: bool) -> None:
    violations = amendment_violations(signed_on, START)
    assert [v.code for v in violations] == (["amendment_before_contract"] if refused else [])
    if refused:
        assert violations[0].article == "L1243-13"
        assert violations[0].severity is Severity.blocking
