"""Every query on salariés and their PASS IAE."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, case, delete, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller, caller_id
from app.db import insert_record, save_changes, substring_pattern
from app.errors import found
from app.keys.models import Role
from app.pagination import keyset
from app.parcours.models import Parcours
from app.reference.schemas import UpdatedSince
from app.salaries.models import EligibilityDiagnostic, PassAdjustment, PassIae, Salarie
from app.sql import Where, filtered

SORT_KEY = (Salarie.updated_at, Salarie.id)


def owned_by(caller: Caller, column: Any) -> ColumnElement[bool]:
    """Personal data a caller may reach: all for admin, its structure's for a structure
    key (other roles never get here: the routes refuse them)."""
    if caller.role is Role.admin:
        return true()
    return column == caller_id(caller, "structure")  # type: ignore[no-any-return]


def _text_in_a_name(text: str) -> ColumnElement[bool]:
    pattern = substring_pattern(text)
    return or_(Salarie.last_name.ilike(pattern), Salarie.first_name.ilike(pattern))


@dataclass(frozen=True)
class SalarieQuery:
    """The filters of GET /v1/salaries, from their query parameters to their SQL."""

    structure_id: Annotated[
        uuid.UUID | None,
        Query(alias="structure", description="Admin: one structure's"),
        Where(lambda v: Salarie.structure_id == v),
    ] = None
    text: Annotated[
        str | None,
        Query(alias="q", min_length=2, max_length=100, description="Text in a name"),
        Where(_text_in_a_name),
    ] = None
    updated_since: Annotated[UpdatedSince, Where(lambda v: Salarie.updated_at >= v)] = None


async def get_visible(
    session: AsyncSession, caller: Caller, salarie_id: uuid.UUID
) -> Salarie | None:
    statement = select(Salarie).where(
        Salarie.id == salarie_id, owned_by(caller, Salarie.structure_id)
    )
    return await session.scalar(statement)


async def visible(session: AsyncSession, caller: Caller, salarie_id: uuid.UUID) -> Salarie:
    """The salarié, or a 404: one the caller may not see is not found either."""
    return found(await get_visible(session, caller, salarie_id), "no salarié with this id")


async def lock(session: AsyncSession, salarie_id: uuid.UUID) -> Salarie | None:
    """The salarié, locked: contract and PASS writes that check across rows take it."""
    return await session.get(Salarie, salarie_id, with_for_update=True, populate_existing=True)


async def page(
    session: AsyncSession,
    caller: Caller,
    query: SalarieQuery,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[Salarie]:
    statement = filtered(select(Salarie).where(owned_by(caller, Salarie.structure_id)), query)
    return (await session.scalars(keyset(statement, SORT_KEY, after, limit))).all()


async def duplicate_of(
    session: AsyncSession,
    structure_id: uuid.UUID,
    *,
    nir_hash: bytes | None,
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    other_than: uuid.UUID | None = None,
) -> Salarie | None:
    """A salarié of the structure with the same NIR, or the same names and birth date."""
    same_identity = (
        (func.lower(Salarie.last_name) == last_name.lower())
        & (func.lower(Salarie.first_name) == first_name.lower())
        & (Salarie.birth_date == birth_date)
    )
    same = or_(same_identity, Salarie.nir_hash == nir_hash) if nir_hash else same_identity
    statement = select(Salarie).where(Salarie.structure_id == structure_id, same)
    if other_than is not None:
        statement = statement.where(Salarie.id != other_than)
    return await session.scalar(statement.limit(1))


async def create(session: AsyncSession, values: dict[str, Any]) -> Salarie:
    return await insert_record(session, Salarie(**values))


async def update_salarie(
    session: AsyncSession, salarie: Salarie, changes: dict[str, Any]
) -> Salarie:
    await save_changes(session, salarie, changes)
    return salarie


async def pass_of(session: AsyncSession, salarie_id: uuid.UUID) -> PassIae | None:
    return await session.scalar(
        select(PassIae)
        .where(PassIae.salarie_id == salarie_id)
        .execution_options(populate_existing=True)
    )


async def adjustments(
    session: AsyncSession, pass_id: uuid.UUID, *, refused: bool = False
) -> Sequence[PassAdjustment]:
    """The PASS IAE's accepted adjustments (those that move its end), or its refused
    requests."""
    statement = select(PassAdjustment).where(
        PassAdjustment.pass_id == pass_id,
        PassAdjustment.refused_at.is_not(None) if refused else PassAdjustment.refused_at.is_(None),
    )
    return (
        await session.scalars(statement.order_by(PassAdjustment.start_date, PassAdjustment.id))
    ).all()


async def set_pass(
    session: AsyncSession,
    salarie: Salarie,
    *,
    number: str,
    start_date: dt.date,
    end_date: dt.date,
    prescriber_orientation: bool,
) -> PassIae:
    """Creates or replaces the salarié's PASS IAE; a new number is a new PASS IAE,
    which starts without the adjustments (nor the refused requests) of the one before."""
    values = {
        "number": number,
        "start_date": start_date,
        "end_date": end_date,
        "prescriber_orientation": prescriber_orientation,
    }
    current = await pass_of(session, salarie.id)
    if current is None:
        return await insert_record(
            session,
            PassIae(salarie_id=salarie.id, structure_id=salarie.structure_id, **values),
        )
    if current.number != number:
        await session.execute(delete(PassAdjustment).where(PassAdjustment.pass_id == current.id))
    await save_changes(session, current, values)
    return current


async def pass_number_taken(session: AsyncSession, salarie: Salarie, number: str) -> bool:
    """Whether another salarié of the same structure holds this PASS IAE number (the
    records of other structures are theirs: they are never looked at)."""
    taken = await session.scalar(
        select(PassIae.id).where(
            PassIae.structure_id == salarie.structure_id,
            PassIae.number == number,
            PassIae.salarie_id != salarie.id,
        )
    )
    return taken is not None


async def add_adjustment(
    session: AsyncSession, adjustment: PassAdjustment, pass_iae: PassIae, end_date: dt.date
) -> None:
    session.add(adjustment)
    await save_changes(session, pass_iae, {"end_date": end_date})


async def add_refused(session: AsyncSession, adjustment: PassAdjustment) -> None:
    adjustment.refused_at = await session.scalar(select(func.statement_timestamp()))
    session.add(adjustment)
    await session.flush()


async def first_of_structure(
    session: AsyncSession, structure_id: uuid.UUID, count: int
) -> Sequence[Salarie]:
    statement = select(Salarie).where(Salarie.structure_id == structure_id)
    return (
        await session.scalars(statement.order_by(Salarie.created_at, Salarie.id).limit(count))
    ).all()


async def pseudonymise(session: AsyncSession, salarie_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Removes the identity of these salariés (names, birth date, NIR hash, France
    Travail id, commune, PASS IAE number, and the refused PASS IAE requests, whose
    reasons may hold what the birth date gave, an age); returns those not pseudonymised
    before."""
    done = await session.scalars(
        update(Salarie)
        .where(Salarie.id.in_(salarie_ids), Salarie.pseudonymised_at.is_(None))
        .values(
            first_name=None,
            last_name=None,
            birth_date=None,
            nir_hash=None,
            france_travail_id=None,
            commune_code=None,
            pseudonymised_at=func.now(),
            updated_at=func.now(),
            version=Salarie.version + 1,
        )
        .returning(Salarie.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(done.all())
    if ids:
        await session.execute(
            update(PassIae)
            .where(PassIae.salarie_id.in_(ids))
            .values(number=None, updated_at=func.now(), version=PassIae.version + 1)
            .execution_options(synchronize_session=False)
        )
        passes = select(PassIae.id).where(PassIae.salarie_id.in_(ids))
        await session.execute(
            delete(PassAdjustment)
            .where(PassAdjustment.pass_id.in_(passes), PassAdjustment.refused_at.is_not(None))
            .execution_options(synchronize_session=False)
        )
    return ids


async def past_retention(
    session: AsyncSession, ended_before: dt.date, registered_before: dt.datetime
) -> list[uuid.UUID]:
    """Salariés still identified whose every parcours ended before ``ended_before``,
    and those registered before ``registered_before`` who never began one."""
    parcours = select(Parcours.salarie_id).where(Parcours.salarie_id == Salarie.id)
    open_or_recent = parcours.where(
        or_(Parcours.exit_date.is_(None), Parcours.exit_date >= ended_before)
    )
    statement = select(Salarie.id).where(
        Salarie.pseudonymised_at.is_(None),
        ~open_or_recent.exists(),
        or_(parcours.exists(), Salarie.created_at < registered_before),
    )
    return list((await session.scalars(statement.order_by(Salarie.id))).all())


async def has_open_parcours(session: AsyncSession, salarie_id: uuid.UUID) -> bool:
    statement = select(Parcours.id).where(
        Parcours.salarie_id == salarie_id, Parcours.exit_date.is_(None)
    )
    return await session.scalar(statement.limit(1)) is not None


DIAGNOSTICS = "diagnostics"


async def add_diagnostic(
    session: AsyncSession, diagnostic: EligibilityDiagnostic
) -> EligibilityDiagnostic:
    return await insert_record(session, diagnostic)


async def diagnostics_page(
    session: AsyncSession, salarie_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> Sequence[EligibilityDiagnostic]:
    statement = select(EligibilityDiagnostic).where(EligibilityDiagnostic.salarie_id == salarie_id)
    sort_key = (EligibilityDiagnostic.made_on, EligibilityDiagnostic.id)
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def diagnostic_for_hire(
    session: AsyncSession, salarie_id: uuid.UUID, hired_on: dt.date
) -> EligibilityDiagnostic | None:
    """The latest diagnostic made on or before ``hired_on``; failing that, the earliest
    made after it (which allows no hire on that day); None when there is none at all."""
    made_by_then = EligibilityDiagnostic.made_on <= hired_on
    return await session.scalar(
        select(EligibilityDiagnostic)
        .where(EligibilityDiagnostic.salarie_id == salarie_id)
        .order_by(
            made_by_then.desc(),
            case((made_by_then, EligibilityDiagnostic.made_on)).desc(),
            EligibilityDiagnostic.made_on,
            EligibilityDiagnostic.created_at.desc(),
        )
        .limit(1)
    )
