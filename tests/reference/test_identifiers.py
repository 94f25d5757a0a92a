import pytest
from pydantic import TypeAdapter, ValidationError

from app.reference.identifiers import Siret

siret = TypeAdapter(Siret)


@pytest.mark.parametrize(
    "value",
    ["73282932000074", "732 829 320 00074", "35600000000048", "35600000049837"],
)
def test_valid_sirets_including_la_poste(value: str) -> None:
    assert siret.validate_python(value) == value.replace(" ", "")


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("7328293200007", "14 digits"),
        ("732829320000744", "14 digits"),
        ("7328293200007A", "digits only"),
        ("73282932000075", "checksum"),
        ("35600000000049", "checksum"),
    ],
)
def test_invalid_sirets_name_the_rule(value: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule):
        siret.validate_python(value)
