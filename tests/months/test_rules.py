"""The monthly closing's rules (app/months/rules.py)."""

import datetime as dt
import uuid

from app.months.rules import (
    ContractInForce,
    MonthState,
    missing_before_closing,
    month_bounds,
    state_after_closing,
)


def contract(has_hours: bool) -> ContractInForce:
    return ContractInForce(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), has_hours)


def test_a_month_closes_once_every_contract_in_force_has_its_hours() -> None:
    with_hours, without = contract(True), contract(False)
    assert missing_before_closing([with_hours]) == []
    [missing] = missing_before_closing([with_hours, without])
    assert (missing.contract_id, missing.what) == (without.contract_id, "hours")
    assert missing_before_closing([]) == []  # a month with no contract closes


def test_a_month_closed_after_a_correction_reads_corrected() -> None:
    assert state_after_closing(0) is MonthState.closed
    assert state_after_closing(2) is MonthState.corrected


def test_month_bounds() -> None:
    assert month_bounds(dt.date(2024, 2, 1)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert month_bounds(dt.date(2025, 12, 1)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
