"""Decimal quantities (money, hours, ETP, rates) as the contract types them: a string of
digits with an optional fraction, never a float, in writes as in reads.

A write also takes a JSON number, for the clients written before the contract said so,
but only one that is exactly a decimal of the allowed places: ``0.1 + 0.2`` sent as a
float is refused rather than rounded. A string is held to the pattern the contract
declares, so what a generated client may send and what jalon accepts are the same.
Bounds a pattern cannot say (greater than zero, at most 48) are in the description."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

ANY_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
NUMBER_ALSO = "A JSON number is also accepted when it is exactly such a decimal."


def decimal_pattern(digits: int, places: int, *, signed: bool, positive: bool = False) -> str:
    """At most ``digits`` digits in all, ``places`` of them after the point; with
    ``positive``, some digit is not 0 (written out: a pattern has no comparison)."""
    whole, fraction = digits - places, rf"(\.[0-9]{{1,{places}}})?" if places else ""
    if not positive:
        return rf"^{'-?' if signed else ''}[0-9]{{1,{whole}}}{fraction}$"
    # the first digit that is not 0, in the whole part or else in the fraction
    nonzero_whole = "|".join(
        rf"0{{{zeros}}}[1-9][0-9]{{0,{whole - 1 - zeros}}}" for zeros in range(whole)
    )
    nonzero_fraction = "|".join(
        rf"0{{{zeros}}}[1-9][0-9]{{0,{places - 1 - zeros}}}" for zeros in range(places)
    )
    branches = [rf"({nonzero_whole}){fraction}"]
    if places:
        branches.append(rf"0{{1,{whole}}}\.({nonzero_fraction})")
    return rf"^({'|'.join(branches)})$"


@dataclass(frozen=True)
class Digits:
    """``Annotated[Decimal, Digits(14, 2, example="23921.00", ge=0)]``: a decimal a client
    writes, its bounds checked here and declared in the contract."""

    digits: int
    places: int
    example: str
    gt: int | None = None
    ge: int | None = None
    le: int | None = None

    @property
    def pattern(self) -> str:
        return decimal_pattern(
            self.digits,
            self.places,
            signed=self.gt is None and self.ge is None,
            positive=self.gt == 0,
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # built once per field, not on each value: a batch checks 10 000 items
        pattern = re.compile(self.pattern)

        def checked(value: object) -> object:
            if isinstance(value, bool):
                raise ValueError("a decimal, not a boolean")
            if isinstance(value, str) and not pattern.fullmatch(value):
                raise ValueError(f"a decimal string matching {pattern.pattern}")
            return value

        return core_schema.no_info_before_validator_function(
            checked,
            core_schema.decimal_schema(
                max_digits=self.digits,
                decimal_places=self.places,
                gt=None if self.gt is None else Decimal(self.gt),
                ge=None if self.ge is None else Decimal(self.ge),
                le=None if self.le is None else Decimal(self.le),
            ),
            serialization=core_schema.to_string_ser_schema(when_used="json"),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        bounds = [
            f"{word} {bound}"
            for word, bound in (("greater than", self.gt), ("at most", self.le))
            if bound is not None
        ]
        limits = f", {' and '.join(bounds)}" if bounds else ""
        return {
            "type": "string",
            "pattern": self.pattern,
            "examples": [self.example],
            "description": f"A decimal string, {self.places} places at most{limits}. "
            + NUMBER_ALSO,
        }


DecimalText = Annotated[
    Decimal,
    WithJsonSchema(
        {
            "type": "string",
            "format": "decimal",
            "pattern": ANY_DECIMAL,
            "description": "A decimal as a string, never a float",
            "examples": ["12.50"],
        }
    ),
]
"""A decimal jalon answers: always a string."""
