"""Decimal quantities: strings held to the contract's pattern, exact numbers accepted,
bounds and places enforced, and the same schema in reads as in writes."""

import re
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from app.reference.decimals import DecimalText, Digits, decimal_pattern

HOURS = TypeAdapter(Annotated[Decimal, Digits(5, 2, example="26", gt=0, le=48)])
MONEY = TypeAdapter(Annotated[Decimal, Digits(14, 2, example="10.00", ge=0)])
SIGNED = TypeAdapter(Annotated[Decimal, Digits(18, 4, example="0.6")])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("26", Decimal(26)),
        ("35.5", Decimal("35.5")),
        ("48.00", Decimal(48)),
        (26, Decimal(26)),
        (35.5, Decimal("35.5")),
        ("0.01", Decimal("0.01")),
    ],
)
def test_accepted(value: object, expected: Decimal) -> None:
    assert HOURS.validate_python(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "0.00",
        "48.01",
        "1e1",
        " 26",
        "26 ",
        "26.",
        ".5",
        "+26",
        "26.123",
        "\uff12\uff16",  # fullwidth digits
        True,
        0.1 + 0.2,
        "-1",
        "NaN",
        "Infinity",
        "",
    ],
)
def test_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        HOURS.validate_python(value)


def test_money_takes_zero_and_twelve_whole_digits_only() -> None:
    assert MONEY.validate_python("0") == 0
    assert MONEY.validate_python("999999999999.99") == Decimal("999999999999.99")
    with pytest.raises(ValidationError):
        MONEY.validate_python("1000000000000")
    with pytest.raises(ValidationError):
        MONEY.validate_python("-0.01")


def test_a_signed_quantity_takes_a_minus_sign() -> None:
    assert SIGNED.validate_python("-0.25") == Decimal("-0.25")


def test_patterns() -> None:
    assert decimal_pattern(5, 2, signed=False) == r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
    assert decimal_pattern(9, 0, signed=True) == r"^-?[0-9]{1,9}$"


@pytest.mark.parametrize(
    ("text", "positive"),
    [
        ("0", False),
        ("0.00", False),
        ("000.0", False),
        ("0.01", True),
        ("1", True),
        ("10.5", True),
        ("001.00", True),
        ("0.10", True),
        ("999.99", True),
        ("1000", False),
        ("0.001", False),
        ("1.234", False),
        ("-1", False),
    ],
)
def test_a_positive_pattern_wants_a_digit_that_is_not_zero(text: str, positive: bool) -> None:
    pattern = re.compile(decimal_pattern(5, 2, signed=False, positive=True))
    assert bool(pattern.fullmatch(text)) is positive


def test_the_contract_says_string_with_its_pattern_and_bounds() -> None:
    schema = HOURS.json_schema()
    assert schema["type"] == "string"
    assert schema["pattern"] == decimal_pattern(5, 2, signed=False, positive=True)
    assert "greater than 0 and at most 48" in schema["description"]
    assert TypeAdapter(DecimalText).json_schema()["type"] == "string"


def test_answers_are_strings() -> None:
    assert HOURS.dump_json(Decimal("26.50")) == b'"26.50"'
    assert TypeAdapter(DecimalText).dump_json(Decimal("0.6000")) == b'"0.6000"'
