import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.reference.enums import StructureKind
from app.rules import RuleParameters
from app.structures.rules import (
    Rate,
    annexe_aid,
    cap_derogation_violations,
    days_in_year,
    etp_conventionnes,
    months_covered,
)

ACI_RATES = [
    Rate(dt.date(2023, 1, 1), Decimal("22692")),
    Rate(dt.date(2023, 5, 1), Decimal("23196")),
    Rate(dt.date(2024, 1, 1), Decimal("23458")),
    Rate(dt.date(2024, 11, 1), Decimal("23921")),
    Rate(dt.date(2025, 1, 1), Decimal("23921")),
]


def test_aci_with_ten_etp_over_2024_across_the_november_rate_change() -> None:
    aid = annexe_aid(
        ACI_RATES,
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        etp=Decimal(10),
        modulation_rate=Decimal(0),
    )
    # 10 x (23 458 x 305/366 + 23 921 x 61/366), by hand
    assert aid.socle == Decimal("235351.67")
    assert aid.total == Decimal("235351.67")
    assert [(s.start, s.end, s.amount_per_etp) for s in aid.segments] == [
        (dt.date(2024, 1, 1), dt.date(2024, 10, 31), Decimal("23458")),
        (dt.date(2024, 11, 1), dt.date(2024, 12, 31), Decimal("23921")),
    ]
    assert aid.days_without_rate == 0


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2),
)
def test_the_state_and_the_conseil_departemental_share_the_total_to_the_cent(
    etp: Decimal, percent: Decimal
) -> None:
    aid = annexe_aid(
        ACI_RATES,
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        etp=etp,
        modulation_rate=Decimal(5),
        conseil_departemental_percent=percent,
    )
    assert aid.etat + aid.conseil_departemental == aid.total
    assert abs(aid.conseil_departemental - aid.total * percent / 100) <= Decimal("0.005")


def test_without_a_conseil_departemental_the_state_pays_all() -> None:
    aid = annexe_aid(
        ACI_RATES,
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        etp=Decimal(10),
        modulation_rate=Decimal(0),
    )
    assert (aid.etat, aid.conseil_departemental) == (Decimal("235351.67"), Decimal("0.00"))
    shared = annexe_aid(
        ACI_RATES,
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        etp=Decimal(10),
        modulation_rate=Decimal(0),
        conseil_departemental_percent=Decimal(25),
    )
    assert (shared.etat, shared.conseil_departemental) == (
        Decimal("176513.75"),
        Decimal("58837.92"),
    )


def test_modulation_is_a_percentage_of_the_socle() -> None:
    aid = annexe_aid(
        ACI_RATES,
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        etp=Decimal("2.5"),
        modulation_rate=Decimal("10"),
    )
    assert aid.socle == Decimal("59802.50")
    assert aid.modulation == Decimal("5980.25")
    assert aid.total == Decimal("65782.75")


def test_a_partial_year_is_prorated_by_day() -> None:
    aid = annexe_aid(
        ACI_RATES,
        start=dt.date(2023, 7, 1),
        end=dt.date(2023, 9, 30),
        etp=Decimal(1),
        modulation_rate=Decimal(0),
    )
    assert aid.socle == (Decimal("23196") * 92 / 365).quantize(Decimal("0.01"))


def test_days_before_any_published_rate_earn_nothing_and_are_counted() -> None:
    eiti = [Rate(dt.date(2024, 11, 1), Decimal("6570"))]
    aid = annexe_aid(
        eiti,
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        etp=Decimal(1),
        modulation_rate=Decimal(0),
    )
    assert aid.days_without_rate == 305
    assert aid.socle == (Decimal(6570) * 61 / 366).quantize(Decimal("0.01"))


def test_a_reversed_period_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before"):
        annexe_aid(
            ACI_RATES,
            start=dt.date(2024, 2, 1),
            end=dt.date(2024, 1, 1),
            etp=Decimal(1),
            modulation_rate=Decimal(0),
        )


def test_leap_years() -> None:
    assert days_in_year(2024) == 366
    assert days_in_year(2025) == 365
    assert days_in_year(2100) == 365


days = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 12, 31))


@given(days, days, days, st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2))
def test_splitting_a_period_in_two_keeps_the_exact_aid_within_a_cent(
    a: dt.date, b: dt.date, c: dt.date, etp: Decimal
) -> None:
    start, middle, end = sorted([a, b, c])
    if middle == end:
        return
    whole = annexe_aid(ACI_RATES, start=start, end=end, etp=etp, modulation_rate=Decimal(0))
    first = annexe_aid(ACI_RATES, start=start, end=middle, etp=etp, modulation_rate=Decimal(0))
    second = annexe_aid(
        ACI_RATES, start=middle + dt.timedelta(days=1), end=end, etp=etp, modulation_rate=Decimal(0)
    )
    assert abs(whole.socle - (first.socle + second.socle)) <= Decimal("0.01")


@given(days, days, st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2))
def test_a_year_never_earns_more_than_the_highest_rate(
    a: dt.date, b: dt.date, etp: Decimal
) -> None:
    start, end = sorted([a, b])
    aid = annexe_aid(ACI_RATES, start=start, end=end, etp=etp, modulation_rate=Decimal(0))
    years = end.year - start.year + 1
    assert aid.socle <= Decimal("23921") * etp * years + Decimal("0.01")
    assert sum(s.socle for s in aid.segments) - aid.socle <= Decimal("0.01") * len(aid.segments)


# --- the préfet's decisions lifting an AI's 480-hour cap ----------------------------

P = RuleParameters()
D = dt.date


@pytest.mark.parametrize(
    ("kind", "start", "end", "others", "expected"),
    [
        (StructureKind.AI, D(2025, 1, 1), D(2027, 12, 31), [], []),  # 3 years exactly
        (StructureKind.AI, D(2025, 1, 1), D(2028, 1, 1), [], ["cap_derogation_too_long"]),
        (StructureKind.ACI, D(2025, 1, 1), D(2025, 12, 31), [], ["cap_derogation_not_ai"]),
        (StructureKind.AI, D(2025, 2, 1), D(2025, 1, 1), [], ["dates_reversed"]),
        # renewed the day after, or overlapping the decision it renews
        (StructureKind.AI, D(2028, 1, 1), D(2030, 12, 31), [(D(2025, 1, 1), D(2027, 12, 31))], []),
        (
            StructureKind.AI,
            D(2027, 12, 31),
            D(2030, 12, 30),
            [(D(2025, 1, 1), D(2027, 12, 31))],
            ["cap_derogations_overlap"],
        ),
    ],
)
def test_a_decision_lifts_an_ais_cap_for_3_years_renewable(
    kind: StructureKind,
    start: dt.date,
    end: dt.date,
    others: list[tuple[dt.date, dt.date]],
    expected: list[str],
) -> None:
    found = cap_derogation_violations(kind, start, end, others, P)
    assert [v.code for v in found] == expected


def test_the_decisions_length_is_a_setting() -> None:
    longer = P.model_copy(update={"ai_cap_derogation_max_months": 48})
    assert (
        cap_derogation_violations(StructureKind.AI, D(2025, 1, 1), D(2028, 12, 31), [], longer)
        == []
    )


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), Decimal(12)),
        (dt.date(2024, 1, 1), dt.date(2024, 6, 30), Decimal(6)),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29), Decimal(1)),  # a leap February, whole
        (dt.date(2024, 3, 16), dt.date(2024, 3, 31), Decimal(16) / 31),
        (dt.date(2024, 1, 17), dt.date(2024, 2, 14), Decimal(15) / 31 + Decimal(14) / 29),
        (dt.date(2024, 7, 1), dt.date(2024, 7, 1), Decimal(1) / 31),
    ],
)
def test_months_covered_count_a_partial_month_by_its_days(
    start: dt.date, end: dt.date, months: Decimal
) -> None:
    assert months_covered(start, end) == months


def test_months_covered_refuse_a_period_that_ends_first() -> None:
    with pytest.raises(ValueError, match="ends before"):
        months_covered(dt.date(2024, 2, 1), dt.date(2024, 1, 31))


@pytest.mark.parametrize(
    ("posts", "start", "end", "etp"),
    [
        ("10", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "10.00"),
        ("10", dt.date(2024, 7, 1), dt.date(2024, 12, 31), "5.00"),  # half a year: half
        ("18", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "4.50"),
        ("4.5", dt.date(2025, 4, 1), dt.date(2025, 4, 30), "0.38"),  # 0.375, half up
    ],
)
def test_etp_conventionnes_are_posts_times_months_over_12(
    posts: str, start: dt.date, end: dt.date, etp: str
) -> None:
    assert etp_conventionnes(Decimal(posts), start, end) == Decimal(etp)
