"""The fiches salarié's orchestration: a salarié's ASP profile, a fiche's life, the
batches built for the ASP and the return files it answers with."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import (
    Conflict,
    FieldProblem,
    Gone,
    UnknownReference,
    ValidationFailed,
    field_problem,
    found,
)
from app.fiches import repository, rules
from app.fiches.models import AspBatch, AspBatchLine, AspProfileRecord, FicheSalarie
from app.fiches.rules import Check, Commune, Country, FicheFacts, SentLine
from app.fiches.schemas import (
    AspProfile,
    AspProfileRead,
    AspProfileWrite,
    BatchCreated,
    BatchRead,
    FicheCheck,
    FicheRead,
    FicheStatus,
    Movement,
    NotificationStatus,
    ReturnedLine,
    ReturnReport,
    SkippedFiche,
)
from app.reference.enums import Gender
from app.salaries.models import PassIae, Salarie
from app.salaries.nir import nir_hash, open_nir, seal_nir
from app.structures.models import Structure

NO_FICHE = "no fiche salarié with this id"
NO_STRUCTURE = "no structure with this id"
NO_BATCH = "no batch with this id"


class FicheIncomplete(ValidationFailed):
    """What a fiche lacks before the ASP would take it, field by field."""

    slug, title = "fiche-salarie-incomplete", "Fiche salarié incomplete"
    meaning = "the fiche's facts fail the ASP's checks: each error names the field to fix"


class ReturnFileRefused(ValidationFailed):
    slug, title = "return-file-refused", "Return file refused"
    meaning = "the file is not the ASP's return of this batch: nothing of it was applied"


# ----- the profile ---------------------------------------------------------------------


async def save_profile(
    session: AsyncSession, salarie: Salarie, body: AspProfileWrite, nir_key: bytes
) -> AspProfileRecord:
    """Replaces the salarié's profile. The NIR is kept as it was when ``nir`` is left
    out, removed when it is null; one given must be the salarié's own."""
    current = await repository.profile_of(session, salarie.id)
    sealed = current.nir_sealed if current else None
    if "nir" in body.model_fields_set:
        sealed = None
        if body.nir is not None:
            if salarie.nir_hash is not None and nir_hash(nir_key, body.nir) != salarie.nir_hash:
                detail = "not the NIR of the salarié's record"
                raise UnknownReference(detail, errors=[field_problem("nir", detail)])
            sealed = seal_nir(nir_key, salarie.id, body.nir)
    facts = AspProfile.model_validate(body.model_dump(exclude={"nir"})).model_dump(mode="json")
    return await repository.save_profile(session, salarie.id, facts, sealed)


def profile_read(record: AspProfileRecord) -> AspProfileRead:
    return AspProfileRead(
        **record.facts,
        salarie_id=record.salarie_id,
        has_nir=record.nir_sealed is not None,
        updated_at=record.updated_at,
    )


# ----- fiches --------------------------------------------------------------------------


def fiche_read(fiche: FicheSalarie, status: FicheStatus | None = None) -> FicheRead:
    read = FicheRead.model_validate(fiche)
    return read if status is None else read.model_copy(update={"status": status})


async def create_fiche(
    session: AsyncSession, structure: Structure, salarie: Salarie, pass_iae: PassIae | None
) -> FicheSalarie:
    """A new fiche for the salarié's PASS IAE under the structure's SIRET: one per pair."""
    if pass_iae is None:
        detail = "the salarié has no PASS IAE: a fiche salarié is made for one"
        raise UnknownReference(detail, errors=[field_problem("salarie_id", detail)])
    if await repository.fiche_of_pass(session, structure.siret, pass_iae.id) is not None:
        raise Conflict("this PASS IAE already has its fiche under the structure's SIRET")
    return await repository.add_fiche(
        session,
        FicheSalarie(
            structure_id=structure.id,
            salarie_id=salarie.id,
            pass_iae_id=pass_iae.id,
            siret=structure.siret,
            asp_uid=salarie.id.hex[:30],
            status=FicheStatus.new,
        ),
    )


async def move(
    session: AsyncSession,
    fiche: FicheSalarie,
    target: FicheStatus,
    nir_key: bytes,
    *,
    dry_run: bool,
) -> FicheRead:
    """Moves the fiche as its caller asks: ready once every check passes (a 422 listing
    each failure otherwise), disabled, enabled, archived or unarchived. ``dry_run``:
    the answer it would give, nothing written."""
    refusal = rules.requested_transition_refusal(fiche.status, target)
    if refusal is not None:
        raise Conflict(refusal)
    if target is FicheStatus.ready:
        failed = (await checks_of(session, [fiche], nir_key))[fiche.id]
        if failed:
            raise incomplete(failed)
    if target is FicheStatus.new and fiche.status is FicheStatus.archived:
        target = rules.unarchived_status(fiche.asp_code)
    if dry_run:
        return fiche_read(fiche, target)
    await repository.set_status(session, [fiche.id], target)
    return fiche_read(found(await repository.fiche(session, fiche.id), NO_FICHE))


def incomplete(failed: Sequence[Check]) -> FicheIncomplete:
    return FicheIncomplete(
        f"{len(failed)} check(s) of the ASP fail",
        errors=[
            FicheCheck(
                pointer=c.pointer, detail=c.detail, asp_field=c.asp_field, asp_code=c.asp_code
            )
            for c in failed
        ],
    )


async def facts_of(
    session: AsyncSession, fiches: Sequence[FicheSalarie], nir_key: bytes
) -> dict[uuid.UUID, FicheFacts]:
    """Each fiche's facts, gathered in four queries whatever their number."""
    if not fiches:
        return {}
    rows = await repository.fiche_facts(session, [f.id for f in fiches])
    profiles = {
        row.fiche_id: AspProfile.model_validate(row.facts) if row.facts else None for row in rows
    }
    communes_of = await _communes(
        session,
        {
            c
            for row in rows
            for c in (row.commune_code, _birth_commune(profiles[row.fiche_id]))
            if c
        },
    )
    countries_of = await _countries(
        session, {p.birth_country_code for p in profiles.values() if p and p.birth_country_code}
    )
    # the ASP takes the fiches of a structure whose annexe is valid now (3435)
    annexe_now = await repository.annexe_in_force(session, fiches[0].structure_id, dt.date.today())
    salarie_of = {fiche.id: fiche.salarie_id for fiche in fiches}
    result = {}
    for row in rows:
        profile = profiles[row.fiche_id]
        birth = _birth_commune(profile)
        result[row.fiche_id] = FicheFacts(
            siret=row.siret,
            siren=row.siren,
            kind=row.kind,
            annexe_in_force=annexe_now,
            pass_number=row.pass_number,
            pass_start=row.pass_start,
            pass_end=row.pass_end,
            asp_uid=row.asp_uid,
            last_name=row.last_name,
            first_name=row.first_name,
            birth_date=row.birth_date,
            gender=Gender(row.gender),
            residence_commune_code=row.commune_code,
            france_travail_id=row.france_travail_id,
            hired_on=row.hired_on,
            profile=profile,
            nir=open_nir(nir_key, salarie_of[row.fiche_id], row.nir_sealed)
            if row.nir_sealed
            else None,
            birth_communes=communes_of.get(birth, ()) if birth else (),
            residence_communes=communes_of.get(row.commune_code, ()) if row.commune_code else (),
            birth_country=countries_of.get(profile.birth_country_code)
            if profile and profile.birth_country_code
            else None,
        )
    return result


def _birth_commune(profile: AspProfile | None) -> str | None:
    return profile.birth_commune_code if profile else None


async def _communes(session: AsyncSession, codes: set[str]) -> dict[str, list[Commune]]:
    by_code: dict[str, list[Commune]] = defaultdict(list)
    for c in await repository.communes(session, sorted(codes)):
        by_code[c.code].append(Commune(c.code, c.name, c.start_date, c.end_date, c.as_country))
    return by_code


async def _countries(session: AsyncSession, codes: set[str]) -> dict[str, Country]:
    return {
        c.code: Country(c.code, c.name, c.group)
        for c in await repository.countries(session, sorted(codes))
    }


async def checks_of(
    session: AsyncSession, fiches: Sequence[FicheSalarie], nir_key: bytes
) -> dict[uuid.UUID, list[Check]]:
    facts = await facts_of(session, fiches, nir_key)
    return {fiche_id: rules.checks(f) for fiche_id, f in facts.items()}


# ----- batches -------------------------------------------------------------------------


async def build_batch(
    session: AsyncSession, structure: Structure, movement: Movement, nir_key: bytes
) -> BatchCreated:
    """The next batch of the structure: its ready fiches (C) or its waiting PASS IAE
    notifications (M), oldest first, as many as one file takes; each sent. A fiche
    whose checks fail since it was made ready stays ready, listed as skipped."""
    if movement is Movement.creation:
        fiches = list(await repository.ready_fiches(session, structure.id))
        notifications: dict[uuid.UUID, uuid.UUID] = {}
    else:
        waiting = await repository.waiting_notifications(session, structure.id)
        fiches = [fiche for _, fiche in waiting]
        notifications = {fiche.id: notification.id for notification, fiche in waiting}
    facts = await facts_of(session, fiches, nir_key)
    skipped, sendable = [], []
    for fiche in fiches:
        failed = rules.checks(facts[fiche.id])
        if failed:
            skipped.append(
                SkippedFiche(fiche_salarie_id=fiche.id, errors=incomplete(failed).errors)
            )
        else:
            sendable.append(fiche)
    encoded = [
        rules.encoded(rules.line(facts[fiche.id], number, movement))
        for number, fiche in enumerate(sendable, start=1)
    ]
    taken = rules.lines_that_fit(encoded)
    if taken == 0:
        raise Conflict(
            "nothing to send: no fiche is ready"
            if movement is Movement.creation
            else "nothing to send: no PASS IAE change is waiting",
            extra={"skipped": [s.model_dump(mode="json") for s in skipped]},
        )
    sent, lines = sendable[:taken], encoded[:taken]
    batch = await repository.add_batch(
        session,
        AspBatch(
            structure_id=structure.id,
            movement=movement,
            file_name=rules.file_name(await _next_second(session, structure.id)),
            line_count=taken,
            size_bytes=len(rules.batch_body(lines)),
        ),
        [
            {
                "number": number,
                "fiche_id": fiche.id,
                "notification_id": notifications.get(fiche.id),
                "salarie_id": fiche.salarie_id,
                "pass_number": facts[fiche.id].pass_number,
                "siret": fiche.siret,
                "body": body,
            }
            for number, (fiche, body) in enumerate(zip(sent, lines, strict=True), start=1)
        ],
    )
    if movement is Movement.creation:
        await repository.set_status(session, [f.id for f in sent], FicheStatus.sent)
    else:
        await repository.set_notification_status(
            session, [notifications[f.id] for f in sent], NotificationStatus.sent
        )
    return BatchCreated(**BatchRead.model_validate(batch).model_dump(), skipped=skipped)


async def _next_second(session: AsyncSession, structure_id: uuid.UUID) -> dt.datetime:
    """Now, or a second after the structure's last batch: two files of one second would
    have the same name."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    last = rules.file_time(await repository.last_file_name(session, structure_id))
    return max(now, last + dt.timedelta(seconds=1)) if last is not None else now


async def batch_file(
    session: AsyncSession, structure_id: uuid.UUID, batch_id: uuid.UUID
) -> tuple[str, bytes]:
    """The batch's file name and bytes, as built."""
    batch = found(await repository.batch(session, structure_id, batch_id), NO_BATCH)
    lines = await repository.batch_lines(session, batch_id)
    bodies = [line.body for line in lines]
    if any(body is None for body in bodies):
        raise Gone("a salarié of this batch was pseudonymised: the file no longer exists")
    return batch.file_name, rules.batch_body([body for body in bodies if body is not None])


async def apply_return(
    session: AsyncSession, structure_id: uuid.UUID, batch_id: uuid.UUID, body: bytes
) -> ReturnReport:
    """Applies each line's code of the ASP's return file, all of it or (a file that is
    not this batch's return) nothing."""
    batch = found(await repository.batch(session, structure_id, batch_id, lock=True), NO_BATCH)
    if batch.returned_at is not None:
        raise Conflict("this batch's return file was applied already")
    lines = {line.number: line for line in await repository.batch_lines(session, batch_id)}
    sent = [SentLine(n, line.pass_number, line.siret) for n, line in lines.items()]
    returned, problems = rules.read_return(body, batch.movement, sent)
    if problems:
        raise ReturnFileRefused(
            f"{len(problems)} problem(s) in the return file: nothing was applied",
            errors=[FieldProblem(pointer=p.pointer, detail=p.detail) for p in problems],
        )
    outcomes = [rules.outcome(batch.movement, answer) for answer in returned]
    if batch.movement is Movement.creation:
        await _apply_to_fiches(session, lines, returned, outcomes)
    else:
        await _apply_to_notifications(session, lines, returned, outcomes)
    report = [
        ReturnedLine(
            line=answer.number,
            fiche_salarie_id=lines[answer.number].fiche_id,
            asp_code=answer.code,
            asp_label=outcome.label,
            status=outcome.status,
        )
        for answer, outcome in zip(returned, outcomes, strict=True)
    ]
    await repository.answer_lines(
        session,
        batch_id,
        [{"number": r.line, "asp_code": r.asp_code, "asp_label": r.asp_label} for r in report],
    )
    return ReturnReport(
        batch_id=batch_id,
        lines=report,
        unanswered=len(lines) - len(report),
    )


async def _apply_to_fiches(
    session: AsyncSession,
    lines: dict[int, AspBatchLine],
    returned: Sequence[rules.Returned],
    outcomes: Sequence[rules.Outcome],
) -> None:
    """Each answered fiche still sent takes its outcome, in a few statements whatever
    the number of lines; a fiche changed since it was sent (archived, say) keeps its
    state, the answer being recorded on its line only."""
    answered = [lines[answer.number].fiche_id for answer in returned]
    passes = await repository.lock_sent_fiches(session, answered)
    now = dt.datetime.now(dt.UTC)
    changes = [
        {
            "id": fiche_id,
            "status": outcome.status,
            "asp_code": answer.code,
            "asp_label": outcome.label,
            "processed_at": now if outcome.status is FicheStatus.processed else None,
            "processed_as_duplicate": outcome.duplicate,
        }
        for fiche_id, answer, outcome in zip(answered, returned, outcomes, strict=True)
        if fiche_id in passes
    ]
    await repository.apply_outcomes(session, changes)
    duplicates = [
        fiche_id
        for fiche_id, outcome in zip(answered, outcomes, strict=True)
        if fiche_id in passes and outcome.duplicate
    ]
    adjusted = await repository.passes_with_adjustments(session, [passes[i] for i in duplicates])
    # the ASP knew these PASS IAE before their suspensions or prolongations
    await repository.queue_notifications(
        session, [fiche_id for fiche_id in duplicates if passes[fiche_id] in adjusted]
    )


async def _apply_to_notifications(
    session: AsyncSession,
    lines: dict[int, AspBatchLine],
    returned: Sequence[rules.Returned],
    outcomes: Sequence[rules.Outcome],
) -> None:
    changes = []
    for answer, outcome in zip(returned, outcomes, strict=True):
        notification_id = lines[answer.number].notification_id
        assert notification_id is not None
        processed = outcome.status is FicheStatus.processed
        changes.append(
            {
                "id": notification_id,
                "status": NotificationStatus.processed
                if processed
                else NotificationStatus.rejected,
                "asp_code": answer.code,
                "asp_label": outcome.label,
            }
        )
    await repository.apply_notification_outcomes(session, changes)
