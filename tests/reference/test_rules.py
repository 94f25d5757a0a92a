import pytest

from app.reference.rules import departement_of_commune, territory_problems


@pytest.mark.parametrize(
    ("commune", "departement"),
    [
        ("29019", "29"),
        ("75056", "75"),
        ("2A004", "2A"),
        ("2B033", "2B"),
        ("97411", "974"),
        ("97209", "972"),
    ],
)
def test_departement_of_a_commune(commune: str, departement: str) -> None:
    assert departement_of_commune(commune) == departement


@pytest.mark.parametrize("commune", ["2901", "290190", "ABCDE", "2C004", "", "29 19"])
def test_malformed_commune_codes(commune: str) -> None:
    assert departement_of_commune(commune) is None


def problems(**facts: object) -> dict[str, str]:
    arguments = {
        "commune_code": "29019",
        "departement_code": "29",
        "region_code": "53",
        "region_of_departement": "53",
        "region_exists": True,
    } | facts
    return {p.field: p.detail for p in territory_problems(**arguments)}  # type: ignore[arg-type]


def test_a_consistent_territory_has_no_problem() -> None:
    assert problems() == {}


def test_departement_in_another_region() -> None:
    found = problems(region_code="76")
    assert "is in région 53, not 76" in found["departement_code"]


def test_unknown_departement_and_region() -> None:
    found = problems(
        departement_code="00", commune_code="00123", region_of_departement=None, region_exists=False
    )
    assert "unknown département" in found["departement_code"]
    assert "unknown région" in found["region_code"]


def test_commune_outside_its_departement() -> None:
    assert "not in département 29" in problems(commune_code="35238")["commune_code"]


def test_malformed_commune() -> None:
    assert "not an INSEE commune code" in problems(commune_code="ABC")["commune_code"]
