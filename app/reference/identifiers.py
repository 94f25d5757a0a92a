"""French business identifiers, validated with python-stdnum."""

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siret as stdnum_siret

# 14 digits, a space or a dot at most between two, as a SIRET is often written
SIRET_PATTERN = r"^([0-9][ .]?){13}[0-9]$"
_SIRET_SHAPE = re.compile(SIRET_PATTERN)


def _compact(value: object) -> object:
    """The 14 digits of a SIRET written in the contract's shape, or the rule it breaks."""
    if not isinstance(value, str):
        return value
    digits = value.replace(" ", "").replace(".", "")
    if not _SIRET_SHAPE.fullmatch(value):
        if not digits.isascii():  # stdnum would take fullwidth or other scripts' digits
            raise ValueError("a SIRET has digits 0-9 only")
        if not digits.isdigit():
            raise ValueError("a SIRET has digits only")
        if len(digits) != 14:
            raise ValueError("a SIRET has exactly 14 digits")
        raise ValueError("a SIRET has a space or a dot at most between two digits")
    return digits


def validate_siret(value: str) -> str:
    try:
        return str(stdnum_siret.validate(value))
    except (InvalidLength, InvalidFormat):
        raise AssertionError("unreachable: _compact checked the shape") from None
    except InvalidChecksum:
        raise ValueError(
            "the SIRET fails its checksum (Luhn; for La Poste, a digit sum multiple of 5)"
        ) from None


Siret = Annotated[
    str,
    BeforeValidator(_compact),
    AfterValidator(validate_siret),
    Field(
        description="14 digits, Luhn checksum (La Poste: digit sum multiple of 5); a space "
        "or a dot between two digits is taken out",
        examples=["73282932000074"],
        json_schema_extra={"pattern": SIRET_PATTERN},
    ),
]
