"""What the structures routes compose: repository reads, reference checks and the
aid rule; the routes stay parse, authorise, call, return."""

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.db import driver_connection
from app.errors import Conflict, ValidationFailed, field_problem
from app.keys.models import Role
from app.reference import repository as reference
from app.structures import repository
from app.structures.models import Annexe, Structure
from app.structures.rules import Rate, annexe_aid
from app.structures.schemas import AidRead, AnnexeRead, StructureRead


def sees_private_fields(caller: Caller, structure_id: uuid.UUID) -> bool:
    return caller.role is Role.admin or (
        caller.role is Role.structure and caller.structure_id == structure_id
    )


def structure_json(caller: Caller, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of repository.READ_COLUMNS as StructureRead's JSON, the contact for those
    who may see it: the one place a structure is shaped."""
    private = sees_private_fields(caller, uuid.UUID(str(row["id"])))
    return {
        "id": row["id"],
        "siret": row["siret"],
        "siren": row["siren"],
        "previous_sirets": row["previous_sirets"] or [],
        "name": row["name"],
        "kind": row["kind"],
        "address": row["address"],
        "postal_code": row["postal_code"],
        "commune_code": row["commune_code"],
        "departement_code": row["departement_code"],
        "region_code": row["region_code"],
        "sectors": row["sectors"],
        "contact": (
            {
                "name": row["contact_name"],
                "email": row["contact_email"],
                "phone": row["contact_phone"],
            }
            if private
            else None
        ),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def structure_read(
    session: AsyncSession, caller: Caller, structure_id: uuid.UUID
) -> tuple[StructureRead, int]:
    """The structure as a write answers it (in the write's transaction), and its version."""
    row = await repository.read(await driver_connection(session), caller, structure_id)
    assert row is not None, "a structure written is visible to its writer"
    return StructureRead.model_validate(structure_json(caller, row)), row["version"]


async def refuse_taken_siret(session: AsyncSession, siret: str, *, field: str = "siret") -> None:
    """409 naming the structure that has (or had) the SIRET."""
    owner = await repository.siret_owner(session, siret)
    if owner is not None:
        raise Conflict(
            f"SIRET {siret} already belongs to structure {owner.id} ({owner.name})",
            errors=[field_problem(field, "this SIRET is already registered")],
            extra={"existing_structure_id": str(owner.id)},
        )


def check_modulation(rate: Decimal, maximum: Decimal) -> None:
    if rate > maximum:
        raise ValidationFailed(
            "the modulation rate is too high",
            errors=[field_problem("modulation_rate", f"at most {maximum} % of the socle")],
        )


async def refuse_overlap(
    session: AsyncSession,
    structure_id: uuid.UUID,
    start: dt.date,
    end: dt.date,
    *,
    other_than: uuid.UUID | None = None,
) -> None:
    other = await repository.overlapping_annexe(
        session, structure_id, start, end, other_than=other_than
    )
    if other is not None:
        raise Conflict(
            f"the period overlaps annexe {other.id} ({other.start_date} to {other.end_date})",
            errors=[
                field_problem("start_date", "overlaps another annexe of the structure"),
                field_problem("end_date", "overlaps another annexe of the structure"),
            ],
            extra={"overlapping_annexe_id": str(other.id)},
        )


async def annexe_read(session: AsyncSession, structure: Structure, annexe: Annexe) -> AnnexeRead:
    rates = await reference.rates_in_force(
        session, structure.kind, annexe.start_date, annexe.end_date
    )
    aid = annexe_aid(
        [Rate(rate.in_force_from, rate.amount_per_etp) for rate in rates],
        start=annexe.start_date,
        end=annexe.end_date,
        etp=annexe.etp_conventionnes,
        modulation_rate=annexe.modulation_rate,
    )
    return AnnexeRead(
        id=annexe.id,
        structure_id=annexe.structure_id,
        year=annexe.year,
        etp_conventionnes=annexe.etp_conventionnes,
        modulation_rate=annexe.modulation_rate,
        start_date=annexe.start_date,
        end_date=annexe.end_date,
        aid=AidRead.model_validate(aid),
        created_at=annexe.created_at,
        updated_at=annexe.updated_at,
    )
