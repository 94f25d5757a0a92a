"""Checking an establishment's territory against the reference tables."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import (
    UnknownReference,
    field_problem,
)
from app.reference import repository
from app.reference.rules import territory_problems


async def validate_territory(
    session: AsyncSession,
    *,
    commune_code: str,
    departement_code: str,
    region_code: str,
    prefix: str = "",
) -> None:
    """Raises a 422 naming each inconsistent field (``prefix`` for nested objects)."""
    region_of_departement, region_exists = await repository.territory_facts(
        session, departement_code=departement_code, region_code=region_code
    )
    problems = territory_problems(
        commune_code=commune_code,
        departement_code=departement_code,
        region_code=region_code,
        region_of_departement=region_of_departement,
        region_exists=region_exists,
    )
    if problems:
        raise UnknownReference(
            "the territory is unknown or inconsistent",
            errors=[field_problem(prefix + problem.field, problem.detail) for problem in problems],
        )


async def validate_region(
    session: AsyncSession, region_code: str, *, field: str = "region_code"
) -> None:
    _, region_exists = await repository.territory_facts(
        session, departement_code=None, region_code=region_code
    )
    if not region_exists:
        raise UnknownReference(
            "unknown région", errors=[field_problem(field, f"unknown région '{region_code}'")]
        )


async def validate_codes(
    session: AsyncSession, *, region_codes: Sequence[str], departement_codes: Sequence[str]
) -> None:
    """422 naming each unknown région or département code of a list."""
    regions, departements = await repository.known_codes(
        session, region_codes=region_codes, departement_codes=departement_codes
    )
    problems = [
        field_problem(f"region_codes.{index}", f"unknown région '{code}'")
        for index, code in enumerate(region_codes)
        if code not in regions
    ] + [
        field_problem(f"departement_codes.{index}", f"unknown département '{code}'")
        for index, code in enumerate(departement_codes)
        if code not in departements
    ]
    if problems:
        raise UnknownReference("unknown territory codes", errors=problems)
