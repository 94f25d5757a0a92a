"""Pseudonymisation: a salarié's identity removed, what the indicators count kept.

Parcours, contracts, hours and exits stay (the indicators are computed from them and
do not change); names, birth date, NIR hash, identifiers and free text go, with the
salarié's ASP profile and the lines sent of them in batches for the ASP.
"""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.audit import repository as audit
from app.errors import Conflict
from app.fiches import repository as fiches
from app.idempotency import repository as idempotency
from app.parcours import repository as parcours
from app.salaries import repository
from app.salaries.models import Salarie


async def pseudonymise(session: AsyncSession, salarie_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Returns the salariés pseudonymised now (not those already done)."""
    done = await repository.pseudonymise(session, salarie_ids)
    if done:
        await parcours.forget_free_text(session, done)
        await idempotency.forget_about(session, done)
        await fiches.forget(session, done)
    return done


def refuse_if_pseudonymised(salarie: Salarie) -> None:
    if salarie.pseudonymised_at is not None:
        raise Conflict("the salarié was pseudonymised: their record can no longer change")


def retention_cut_off(today: dt.date, retention_days: int) -> dt.date:
    """Parcours that ended before this day are past the retention."""
    return today - dt.timedelta(days=retention_days)


async def purge(
    session: AsyncSession, *, today: dt.date, retention_days: int, dry_run: bool, run_id: str
) -> list[uuid.UUID]:
    """Pseudonymises every salarié past the retention (each audited under ``run_id``);
    with ``dry_run``, only finds them."""
    cut_off = retention_cut_off(today, retention_days)
    registered_before = dt.datetime.combine(cut_off, dt.time(), tzinfo=dt.UTC)
    due = await repository.past_retention(session, cut_off, registered_before)
    if dry_run:
        return due
    done = await pseudonymise(session, due)
    await audit.record_all(
        session,
        [
            {
                "key_id": None,
                "action": "purge",
                "method": "CLI",
                "resource": "salaries",
                "resource_id": str(salarie_id),
                "status": 200,
                "request_id": run_id,
                "fields": [],
            }
            for salarie_id in done
        ],
    )
    return done


async def purge_in(url: str, *, today: dt.date, retention_days: int, dry_run: bool) -> int:
    """:func:`purge` in one transaction on the database at ``url``: all or nothing."""
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            run_id = f"purge-{uuid.uuid4().hex}"
            done = await purge(
                session, today=today, retention_days=retention_days, dry_run=dry_run, run_id=run_id
            )
            return len(done)
    finally:
        await engine.dispose()
