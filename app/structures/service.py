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
from app.errors import Conflict, ValidationFailed, field_problem, found
from app.keys.models import Role
from app.reference import repository as reference
from app.reference.territory import validate_territory
from app.rules import RuleParameters, refuse_blocking
from app.structures import repository
from app.structures.models import Annexe, CapDerogation, Structure
from app.structures.rules import (
    Rate,
    annexe_aid,
    cap_derogation_violations,
    etp_conventionnes,
)
from app.structures.schemas import (
    AidRead,
    AnnexeCreate,
    AnnexeRead,
    CapDerogationCreate,
    Contact,
    StructureCreate,
    StructureRead,
)


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


NO_STRUCTURE = "no structure with this id"


def contact_columns(contact: Contact | None) -> dict[str, str | None]:
    values = contact.model_dump() if contact else {}
    return {f"contact_{field}": values.get(field) for field in ("name", "email", "phone")}


async def register_structure(session: AsyncSession, body: StructureCreate) -> Structure:
    """A new structure, for the API and the demo: its territory checked (the commune in
    its département, in its région) and its SIRET new."""
    await validate_territory(
        session,
        commune_code=body.commune_code,
        departement_code=body.departement_code,
        region_code=body.region_code,
    )
    await refuse_taken_siret(session, body.siret)
    values = body.model_dump(exclude={"contact"}) | contact_columns(body.contact)
    return await repository.create(session, values)


async def add_annexe(
    session: AsyncSession,
    structure_id: uuid.UUID,
    body: AnnexeCreate,
    *,
    max_modulation_rate: Decimal,
) -> tuple[AnnexeRead, int]:
    """A structure's annexe financière of a year, for the API and the demo: its
    modulation within the setting, its period overlapping no other. With its version."""
    check_modulation(body.modulation_rate, max_modulation_rate)
    structure = found(await repository.lock(session, structure_id), NO_STRUCTURE)
    await refuse_overlap(session, structure_id, body.start_date, body.end_date)
    annexe = await repository.add_annexe(
        session, Annexe(structure_id=structure_id, **body.model_dump())
    )
    return await annexe_read(session, structure, annexe), annexe.version


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
        etp=annexe.posts,
        modulation_rate=annexe.modulation_rate,
        conseil_departemental_percent=annexe.conseil_departemental_percent,
    )
    return AnnexeRead(
        id=annexe.id,
        structure_id=annexe.structure_id,
        year=annexe.year,
        posts=annexe.posts,
        etp_conventionnes=etp_conventionnes(annexe.posts, annexe.start_date, annexe.end_date),
        modulation_rate=annexe.modulation_rate,
        start_date=annexe.start_date,
        end_date=annexe.end_date,
        prefet_cdi_inclusion_share=annexe.prefet_cdi_inclusion_share,
        conseil_departemental_percent=annexe.conseil_departemental_percent,
        aid=AidRead.model_validate(aid),
        created_at=annexe.created_at,
        updated_at=annexe.updated_at,
    )


async def lift_ai_cap(
    session: AsyncSession, structure_id: uuid.UUID, body: CapDerogationCreate, rules: RuleParameters
) -> CapDerogation:
    """Records a préfet's decision lifting the (locked) AI's 480-hour cap."""
    structure = found(await repository.lock(session, structure_id), NO_STRUCTURE)
    others = [
        (d.start_date, d.end_date) for d in await repository.cap_derogations(session, structure_id)
    ]
    refuse_blocking(
        cap_derogation_violations(structure.kind, body.start_date, body.end_date, others, rules)
    )
    return await repository.add_cap_derogation(
        session, CapDerogation(structure_id=structure_id, **body.model_dump())
    )
