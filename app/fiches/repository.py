"""Every query of the fiches salarié: profiles, fiches, the facts their lines are made
of, batches and their lines, and the ASP's reference tables."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.fiches.models import (
    AspBatch,
    AspBatchLine,
    AspCommune,
    AspCountry,
    AspProfileRecord,
    FicheSalarie,
    PassNotification,
)
from app.fiches.schemas import FicheStatus, NotificationStatus
from app.pagination import keyset
from app.parcours.models import Parcours
from app.salaries.models import PassAdjustment, PassIae, Salarie
from app.structures.models import Annexe, Structure

FICHES, BATCHES, COMMUNES, COUNTRIES = "fiches", "asp-batches", "asp-communes", "asp-countries"


# ----- profiles ------------------------------------------------------------------------


async def profile_of(session: AsyncSession, salarie_id: uuid.UUID) -> AspProfileRecord | None:
    return await session.get(AspProfileRecord, salarie_id, populate_existing=True)


async def save_profile(
    session: AsyncSession, salarie_id: uuid.UUID, facts: dict[str, Any], nir_sealed: bytes | None
) -> AspProfileRecord:
    values = {"facts": facts, "nir_sealed": nir_sealed, "updated_at": func.now()}
    statement = (
        insert(AspProfileRecord)
        .values(salarie_id=salarie_id, **values)
        .on_conflict_do_update(index_elements=[AspProfileRecord.salarie_id], set_=values)
        .returning(AspProfileRecord)
        .execution_options(populate_existing=True)
    )
    written: AspProfileRecord | None = await session.scalar(statement)
    assert written is not None
    return written


async def forget(session: AsyncSession, salarie_ids: Sequence[uuid.UUID]) -> None:
    """Pseudonymisation: the profiles go, the batch lines sent of these salariés lose
    what they said (a batch holding one can no longer be downloaded), and their fiches
    and notifications the ASP's labels (free text from outside, which may quote them)."""
    await session.execute(
        delete(AspProfileRecord)
        .where(AspProfileRecord.salarie_id.in_(salarie_ids))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(AspBatchLine)
        .where(AspBatchLine.salarie_id.in_(salarie_ids))
        .values(body=None, pass_number=None, asp_label=None)
        .execution_options(synchronize_session=False)
    )
    fiches = select(FicheSalarie.id).where(FicheSalarie.salarie_id.in_(salarie_ids))
    await session.execute(
        update(FicheSalarie)
        .where(FicheSalarie.id.in_(fiches))
        .values(asp_label=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PassNotification)
        .where(PassNotification.fiche_id.in_(fiches))
        .values(asp_label=None)
        .execution_options(synchronize_session=False)
    )


# ----- fiches --------------------------------------------------------------------------


async def fiche(
    session: AsyncSession, fiche_id: uuid.UUID, *, lock: bool = False
) -> FicheSalarie | None:
    return await session.get(FicheSalarie, fiche_id, with_for_update=lock, populate_existing=True)


async def fiche_of_pass(
    session: AsyncSession, siret: str, pass_iae_id: uuid.UUID
) -> FicheSalarie | None:
    return await session.scalar(
        select(FicheSalarie).where(
            FicheSalarie.siret == siret, FicheSalarie.pass_iae_id == pass_iae_id
        )
    )


async def add_fiche(session: AsyncSession, fiche_: FicheSalarie) -> FicheSalarie:
    session.add(fiche_)
    await session.flush()
    await session.refresh(fiche_)
    return fiche_


async def set_status(
    session: AsyncSession, fiche_ids: Sequence[uuid.UUID], status: FicheStatus, **values: Any
) -> None:
    await session.execute(
        update(FicheSalarie)
        .where(FicheSalarie.id.in_(fiche_ids))
        .values(
            status=status,
            updated_at=func.now(),
            version=FicheSalarie.version + 1,
            **values,
        )
        .execution_options(synchronize_session=False)
    )


async def fiches_page(
    session: AsyncSession,
    structure_id: uuid.UUID,
    status: FicheStatus | None,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[FicheSalarie]:
    statement = select(FicheSalarie).where(FicheSalarie.structure_id == structure_id)
    if status is not None:
        statement = statement.where(FicheSalarie.status == status)
    sort_key = (FicheSalarie.created_at, FicheSalarie.id)
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def ready_fiches(session: AsyncSession, structure_id: uuid.UUID) -> Sequence[FicheSalarie]:
    """The fiches waiting for the next batch, oldest change first, locked."""
    statement = (
        select(FicheSalarie)
        .where(FicheSalarie.structure_id == structure_id, FicheSalarie.status == FicheStatus.ready)
        .order_by(FicheSalarie.updated_at, FicheSalarie.id)
        .with_for_update()
    )
    return (await session.scalars(statement)).all()


async def waiting_notifications(
    session: AsyncSession, structure_id: uuid.UUID
) -> Sequence[tuple[PassNotification, FicheSalarie]]:
    statement = (
        select(PassNotification, FicheSalarie)
        .join(FicheSalarie, FicheSalarie.id == PassNotification.fiche_id)
        .where(
            FicheSalarie.structure_id == structure_id,
            PassNotification.status == NotificationStatus.new,
        )
        .order_by(PassNotification.updated_at, PassNotification.id)
        .with_for_update(of=PassNotification)
    )
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def set_notification_status(
    session: AsyncSession, ids: Sequence[uuid.UUID], status: NotificationStatus, **values: Any
) -> None:
    await session.execute(
        update(PassNotification)
        .where(PassNotification.id.in_(ids))
        .values(status=status, updated_at=func.now(), **values)
        .execution_options(synchronize_session=False)
    )


async def queue_notifications(session: AsyncSession, fiche_ids: Sequence[uuid.UUID]) -> None:
    """An `M` movement for each fiche (a 3436 on a PASS IAE with adjustments), unless
    one is waiting already."""
    if not fiche_ids:
        return
    await session.execute(
        insert(PassNotification)
        .values(
            [
                {"id": uuid.uuid4(), "fiche_id": fiche_id, "status": NotificationStatus.new}
                for fiche_id in fiche_ids
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[PassNotification.fiche_id],
            index_where=PassNotification.status == NotificationStatus.new,
        )
    )


async def lock_sent_fiches(
    session: AsyncSession, fiche_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Locks those of the fiches still sent: their PASS IAE, by fiche."""
    if not fiche_ids:
        return {}
    rows = await session.execute(
        select(FicheSalarie.id, FicheSalarie.pass_iae_id)
        .where(FicheSalarie.id.in_(fiche_ids), FicheSalarie.status == FicheStatus.sent)
        .with_for_update()
    )
    return {fiche_id: pass_id for fiche_id, pass_id in rows.all()}  # noqa: C416 (mypy reads no pairs in a Row)


async def apply_outcomes(session: AsyncSession, changes: Sequence[dict[str, Any]]) -> None:
    """Each fiche's outcome of a return file (``id``, ``status``, ``asp_code``,
    ``asp_label``, ``processed_at`` (None keeps it), ``processed_as_duplicate``), as one
    statement the driver sends for every row at once."""
    if not changes:
        return
    fiches = _table(FicheSalarie)
    await session.execute(
        update(fiches)
        .where(fiches.c.id == _bind("id"))
        .values(
            status=_bind("status"),
            asp_code=_bind("asp_code"),
            asp_label=_bind("asp_label"),
            processed_at=func.coalesce(_bind("processed_at"), fiches.c.processed_at),
            processed_as_duplicate=_bind("processed_as_duplicate"),
            updated_at=func.now(),
            version=fiches.c.version + 1,
        ),
        [{f"b_{name}": value for name, value in change.items()} for change in changes],
    )


async def apply_notification_outcomes(
    session: AsyncSession, changes: Sequence[dict[str, Any]]
) -> None:
    """Each `M` movement's outcome (``id``, ``status``, ``asp_code``, ``asp_label``)."""
    if not changes:
        return
    notifications = _table(PassNotification)
    await session.execute(
        update(notifications)
        .where(notifications.c.id == _bind("id"))
        .values(
            status=_bind("status"),
            asp_code=_bind("asp_code"),
            asp_label=_bind("asp_label"),
            updated_at=func.now(),
        ),
        [{f"b_{name}": value for name, value in change.items()} for change in changes],
    )


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def fiche_facts(session: AsyncSession, fiche_ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    """One row per fiche: its structure, PASS IAE, salarié, profile, the entry of the
    salarié's latest parcours in the structure, and whether an annexe covers it."""
    hired_on = (
        select(Parcours.entry_date)
        .where(
            Parcours.salarie_id == FicheSalarie.salarie_id,
            Parcours.structure_id == FicheSalarie.structure_id,
        )
        .order_by(Parcours.entry_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(
            FicheSalarie.id.label("fiche_id"),
            FicheSalarie.siret,
            FicheSalarie.asp_uid,
            Structure.siren,
            Structure.kind,
            PassIae.number.label("pass_number"),
            PassIae.start_date.label("pass_start"),
            PassIae.end_date.label("pass_end"),
            Salarie.last_name,
            Salarie.first_name,
            Salarie.birth_date,
            Salarie.gender,
            Salarie.commune_code,
            Salarie.france_travail_id,
            AspProfileRecord.facts,
            AspProfileRecord.nir_sealed,
            hired_on.label("hired_on"),
        )
        .join(Structure, Structure.id == FicheSalarie.structure_id)
        .join(PassIae, PassIae.id == FicheSalarie.pass_iae_id)
        .join(Salarie, Salarie.id == FicheSalarie.salarie_id)
        .outerjoin(AspProfileRecord, AspProfileRecord.salarie_id == FicheSalarie.salarie_id)
        .where(FicheSalarie.id.in_(fiche_ids))
    )
    return (await session.execute(statement)).all()  # type: ignore[return-value]


async def annexe_in_force(session: AsyncSession, structure_id: uuid.UUID, day: dt.date) -> bool:
    """Whether an annexe financière of the structure covers ``day``."""
    covering = exists().where(
        Annexe.structure_id == structure_id, Annexe.start_date <= day, Annexe.end_date >= day
    )
    return bool(await session.scalar(select(covering)))


async def communes(session: AsyncSession, codes: Sequence[str]) -> Sequence[AspCommune]:
    if not codes:
        return []
    return (await session.scalars(select(AspCommune).where(AspCommune.code.in_(codes)))).all()


async def countries(session: AsyncSession, codes: Sequence[str]) -> Sequence[AspCountry]:
    """The foreign countries of these codes (a French territory filed as a country is
    reached through its commune)."""
    if not codes:
        return []
    statement = select(AspCountry).where(AspCountry.code.in_(codes), ~AspCountry.overseas)
    return (await session.scalars(statement)).all()


async def passes_with_adjustments(
    session: AsyncSession, pass_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the PASS IAE with a suspension or prolongation (not a refused request)."""
    if not pass_ids:
        return set()
    statement = select(PassAdjustment.pass_id).where(
        PassAdjustment.pass_id.in_(pass_ids), PassAdjustment.refused_at.is_(None)
    )
    return set((await session.scalars(statement)).all())


# ----- batches -------------------------------------------------------------------------


async def last_file_name(session: AsyncSession, structure_id: uuid.UUID) -> str | None:
    """The structure's latest batch file name (the names sort as their times)."""
    return await session.scalar(
        select(func.max(AspBatch.file_name)).where(AspBatch.structure_id == structure_id)
    )


async def add_batch(
    session: AsyncSession, batch: AspBatch, lines: Sequence[dict[str, Any]]
) -> AspBatch:
    session.add(batch)
    await session.flush()
    await session.execute(insert(AspBatchLine), [{"batch_id": batch.id, **line} for line in lines])
    await session.refresh(batch)
    return batch


async def batch(
    session: AsyncSession, structure_id: uuid.UUID, batch_id: uuid.UUID, *, lock: bool = False
) -> AspBatch | None:
    statement = select(AspBatch).where(
        AspBatch.id == batch_id, AspBatch.structure_id == structure_id
    )
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def batches_page(
    session: AsyncSession, structure_id: uuid.UUID, *, after: Sequence[object] | None, limit: int
) -> Sequence[AspBatch]:
    statement = select(AspBatch).where(AspBatch.structure_id == structure_id)
    sort_key = (AspBatch.created_at, AspBatch.id)
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def batch_lines(session: AsyncSession, batch_id: uuid.UUID) -> Sequence[AspBatchLine]:
    statement = (
        select(AspBatchLine).where(AspBatchLine.batch_id == batch_id).order_by(AspBatchLine.number)
    )
    return (await session.scalars(statement)).all()


async def answer_lines(
    session: AsyncSession, batch_id: uuid.UUID, answers: Sequence[dict[str, Any]]
) -> None:
    """Each answered line's code and label (``number``, ``asp_code``, ``asp_label``)."""
    if not answers:
        return
    lines = _table(AspBatchLine)
    await session.execute(
        update(lines)
        .where(and_(lines.c.batch_id == batch_id, lines.c.number == _bind("number")))
        .values(asp_code=_bind("asp_code"), asp_label=_bind("asp_label")),
        [
            {"b_number": a["number"], "b_asp_code": a["asp_code"], "b_asp_label": a["asp_label"]}
            for a in answers
        ],
    )
    await session.execute(
        update(AspBatch)
        .where(AspBatch.id == batch_id)
        .values(returned_at=func.now())
        .execution_options(synchronize_session=False)
    )


def _bind(name: str) -> Any:
    return bindparam(f"b_{name}")


# ----- the reference tables ------------------------------------------------------------


async def communes_page(
    session: AsyncSession,
    *,
    code: str | None,
    name: str | None,
    current: bool,
    after: Sequence[object] | None,
    limit: int,
) -> Sequence[AspCommune]:
    statement = select(AspCommune)
    if code is not None:
        statement = statement.where(AspCommune.code == code)
    if name is not None:
        statement = statement.where(AspCommune.name.startswith(name.upper(), autoescape=True))
    if current:
        statement = statement.where(AspCommune.end_date.is_(None))
    sort_key = (AspCommune.code, AspCommune.start_date)
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def countries_page(
    session: AsyncSession, *, after: Sequence[object] | None, limit: int
) -> Sequence[AspCountry]:
    sort_key = (AspCountry.code, AspCountry.overseas)
    return (await session.scalars(keyset(select(AspCountry), sort_key, after, limit))).all()
