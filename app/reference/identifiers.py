"""French business identifiers, validated with python-stdnum."""

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siret as stdnum_siret


def _compact(value: object) -> object:
    return value.replace(" ", "").replace(".", "") if isinstance(value, str) else value


def validate_siret(value: str) -> str:
    if not value.isascii():  # stdnum would take fullwidth or other scripts' digits
        raise ValueError("a SIRET has digits 0-9 only")
    try:
        return str(stdnum_siret.validate(value))
    except InvalidLength:
        raise ValueError("a SIRET has exactly 14 digits") from None
    except InvalidFormat:
        raise ValueError("a SIRET has digits only") from None
    except InvalidChecksum:
        raise ValueError(
            "the SIRET fails its checksum (Luhn; for La Poste, a digit sum multiple of 5)"
        ) from None


Siret = Annotated[
    str,
    BeforeValidator(_compact),
    AfterValidator(validate_siret),
    Field(
        description="14 digits, Luhn checksum (La Poste: digit sum multiple of 5)",
        examples=["73282932000074"],
    ),
]
