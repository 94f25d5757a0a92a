"""The PASS IAE's rules (app/salaries/rules.py)."""

import datetime as dt

import pytest

from app.rules import RuleParameters
from app.salaries.rules import Adjustment, adjustment_violations, pass_iae_end

P = RuleParameters()
D = dt.date


def test_pass_iae_runs_730_days_moved_by_its_adjustments() -> None:
    assert pass_iae_end(D(2024, 1, 1), [], P) == D(2025, 12, 30)
    suspension = Adjustment(D(2024, 3, 1), D(2024, 3, 31))
    prolongation = Adjustment(D(2025, 12, 31), D(2026, 6, 30))
    assert pass_iae_end(D(2024, 1, 1), [suspension, prolongation], P) == D(2026, 7, 31)


@pytest.mark.parametrize(
    ("adjustment", "too_long"),
    [
        (Adjustment(D(2024, 3, 1), D(2025, 2, 28)), False),  # exactly 12 months
        (Adjustment(D(2024, 3, 1), D(2025, 3, 1)), True),
    ],
)
def test_an_adjustment_lasts_12_months_at_most(adjustment: Adjustment, too_long: bool) -> None:
    assert (adjustment_violations(adjustment, P) != []) is too_long
