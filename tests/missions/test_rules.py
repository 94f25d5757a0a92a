import datetime as dt
from decimal import Decimal

import pytest

from app.keys.models import Role
from app.missions.rules import (
    TRANSITIONS,
    ai_placement_violations,
    allowed_next,
    kind_fits,
    may_move,
)
from app.reference.enums import CompanyCategory, MissionKind, MissionStatus, StructureKind
from app.rules import RuleParameters

P = RuleParameters()
D = dt.date
JUNE_2025 = D(2025, 6, 1)


def test_status_machine() -> None:
    assert allowed_next(MissionStatus.proposee) == [MissionStatus.acceptee, MissionStatus.annulee]
    assert allowed_next(MissionStatus.terminee) == []
    assert allowed_next(MissionStatus.annulee) == []
    # every status but the final two can be cancelled
    assert {s for s, nexts in TRANSITIONS.items() if MissionStatus.annulee in nexts} == {
        MissionStatus.proposee,
        MissionStatus.acceptee,
        MissionStatus.en_cours,
    }


@pytest.mark.parametrize(
    ("kind", "structure", "fits"),
    [
        (MissionKind.mise_a_disposition, StructureKind.AI, True),
        (MissionKind.mise_a_disposition, StructureKind.ETTI, True),
        (MissionKind.mise_a_disposition, StructureKind.ACI, False),
        (MissionKind.mise_a_disposition, StructureKind.EI, False),
        (MissionKind.prestation, StructureKind.EITI, True),
    ],
)
def test_mission_kinds(kind: MissionKind, structure: StructureKind, fits: bool) -> None:
    assert kind_fits(kind, structure) is fits


def codes(
    hours: str,
    others: list[tuple[dt.date, Decimal]],
    *,
    month: dt.date = JUNE_2025,
    structure: StructureKind = StructureKind.AI,
    category: CompanyCategory = CompanyCategory.entreprise,
) -> list[str]:
    return [
        v.code
        for v in ai_placement_violations(
            structure_kind=structure,
            company_category=category,
            month=month,
            hours=Decimal(hours),
            other_months=others,
            p=P,
        )
    ]


PRIOR = [(D(2025, 1, 1), Decimal(200)), (D(2025, 3, 1), Decimal(180))]  # 380 h


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("19.99", []),
        ("20", ["ai_placement_near_cap"]),  # 400 h: the warning starts
        ("100", ["ai_placement_near_cap"]),  # exactly 480 h
        ("100.01", ["ai_placement_over_cap"]),
    ],
)
def test_ai_480_hours_over_24_months(hours: str, expected: list[str]) -> None:
    assert codes(hours, PRIOR) == expected


def test_hours_of_another_mission_in_the_same_month_count() -> None:
    assert codes("60", [*PRIOR, (D(2025, 6, 1), Decimal(50))]) == ["ai_placement_over_cap"]


def test_the_window_starts_at_the_first_placement() -> None:
    # 24 months after January 2025: from January 2027 the earlier hours no longer count
    assert codes("100", PRIOR, month=D(2027, 1, 1)) == []
    assert codes("100.01", PRIOR, month=D(2026, 12, 1)) == ["ai_placement_over_cap"]


@pytest.mark.parametrize(
    "category",
    [CompanyCategory.particulier, CompanyCategory.association, CompanyCategory.collectivite],
)
def test_no_cap_for_individuals_associations_and_local_authorities(
    category: CompanyCategory,
) -> None:
    assert codes("500", PRIOR, category=category) == []


def test_no_cap_outside_an_ai() -> None:
    assert codes("500", PRIOR, structure=StructureKind.ETTI) == []


@pytest.mark.parametrize("status", list(MissionStatus))
@pytest.mark.parametrize("role", list(Role))
def test_who_may_move_a_mission_where(role: Role, status: MissionStatus) -> None:
    """The structure accepts, starts, finishes and declines; the company cancels; admin
    keys make any move (the status machine still decides which); networks none."""
    expected = {
        Role.admin: True,
        Role.structure: status is not MissionStatus.proposee,
        Role.company: status is MissionStatus.annulee,
        Role.network: False,
    }[role]
    assert may_move(role, status) is expected


def test_a_prefets_decision_lifts_the_cap_for_the_months_it_covers() -> None:
    lifted = [(D(2025, 6, 1), D(2025, 8, 31))]

    def with_decision(month: dt.date) -> list[str]:
        found = ai_placement_violations(
            structure_kind=StructureKind.AI,
            company_category=CompanyCategory.entreprise,
            month=month,
            hours=Decimal(500),
            other_months=PRIOR,
            cap_lifted=lifted,
            p=P,
        )
        return [v.code for v in found]

    assert with_decision(D(2025, 6, 1)) == []
    assert with_decision(D(2025, 8, 1)) == []
    assert with_decision(D(2025, 9, 1)) == ["ai_placement_over_cap"]
    assert with_decision(D(2025, 5, 1)) == ["ai_placement_over_cap"]
