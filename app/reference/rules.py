"""Territory rules, pure: INSEE codes in, the problems found out."""

import re
from dataclasses import dataclass

_COMMUNE_CODE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")


@dataclass(frozen=True)
class TerritoryProblem:
    field: str
    detail: str


def departement_of_commune(commune_code: str) -> str | None:
    """The département an INSEE commune code belongs to: its first two characters,
    three for the overseas départements (97x); None for a malformed code."""
    if not _COMMUNE_CODE.match(commune_code):
        return None
    return commune_code[:3] if commune_code.startswith("97") else commune_code[:2]


def territory_problems(
    *,
    commune_code: str,
    departement_code: str,
    region_code: str,
    region_of_departement: str | None,
    region_exists: bool,
) -> list[TerritoryProblem]:
    """Checks that the commune, département and région exist and nest in each other.

    ``region_of_departement`` is the région the reference table gives for the
    département (None: unknown département)."""
    problems = []
    if departement_of_commune(commune_code) is None:
        problems.append(
            TerritoryProblem("commune_code", f"'{commune_code}' is not an INSEE commune code")
        )
    elif departement_of_commune(commune_code) != departement_code:
        problems.append(
            TerritoryProblem(
                "commune_code",
                f"commune {commune_code} is not in département {departement_code}",
            )
        )
    if region_of_departement is None:
        problems.append(
            TerritoryProblem("departement_code", f"unknown département '{departement_code}'")
        )
    if not region_exists:
        problems.append(TerritoryProblem("region_code", f"unknown région '{region_code}'"))
    elif region_of_departement is not None and region_of_departement != region_code:
        problems.append(
            TerritoryProblem(
                "departement_code",
                f"département {departement_code} is in région {region_of_departement}, "
                f"not {region_code}",
            )
        )
    return problems
