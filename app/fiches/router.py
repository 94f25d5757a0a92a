import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response, status

from app.auth import AnyCaller, Caller, PersonalReader, PersonalWriter, refuse_other_structure
from app.db import SessionDep
from app.errors import NotFound, found, problem_responses
from app.fiches import reference, repository, service
from app.fiches.models import FicheSalarie
from app.fiches.schemas import (
    AspCode,
    AspCodes,
    AspCommuneRead,
    AspCountryRead,
    AspProfileRead,
    AspProfileWrite,
    BatchCreate,
    BatchCreated,
    BatchRead,
    FicheCreate,
    FicheIncompleteProblem,
    FicheRead,
    FicheStatus,
    FicheStatusChange,
    ReturnReport,
)
from app.idempotency.admission import about_salarie
from app.pagination import Page, PageDep, build_page
from app.reference.schemas import CommuneCode, QueryFlag
from app.routing import api_router
from app.salaries import repository as salaries
from app.salaries.privacy import refuse_if_pseudonymised
from app.structures import repository as structures
from app.structures.models import Structure

router = api_router(
    tags=["fiches salarié"], responses=problem_responses(401, 403, 404, 422, 429, 503)
)
reference_router = api_router(
    prefix="/v1/reference/asp",
    tags=["reference"],
    responses=problem_responses(401, 403, 422, 429, 503),
)
ASP_JSON = "application/json"
WRITES = problem_responses(400, 409, 413, 415)
INCOMPLETE = problem_responses(422, schema=FicheIncompleteProblem)


# ----- the salarié's ASP profile -------------------------------------------------------


@router.put(
    "/v1/salaries/{salarie_id}/asp-profile",
    summary="Record what the fiche salarié asks of the salarié",
    description="Birth place, NIR (sealed) or NTT, the address in the ASP's form, and the "
    "social situation, each optional here and checked when a fiche is made ready. "
    "Replaces the profile; `nir` left out keeps the NIR recorded before.",
    responses=WRITES,
)
async def put_profile(
    salarie_id: uuid.UUID,
    body: AspProfileWrite,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> AspProfileRead:
    await salaries.visible(session, caller, salarie_id)
    salarie = found(await salaries.lock(session, salarie_id), "no salarié with this id")
    refuse_if_pseudonymised(salarie)
    about_salarie(request, salarie_id)
    record = await service.save_profile(session, salarie, body, _nir_key(request))
    return service.profile_read(record)


@router.get("/v1/salaries/{salarie_id}/asp-profile", summary="The salarié's ASP profile")
async def get_profile(
    salarie_id: uuid.UUID, session: SessionDep, caller: PersonalReader
) -> AspProfileRead:
    await salaries.visible(session, caller, salarie_id)
    record = found(await repository.profile_of(session, salarie_id), "no ASP profile yet")
    return service.profile_read(record)


# ----- fiches --------------------------------------------------------------------------


@router.post(
    "/v1/structures/{structure_id}/fiches-salarie",
    status_code=status.HTTP_201_CREATED,
    summary="Start the fiche salarié of a salarié's PASS IAE",
    description="One fiche per (structure SIRET, PASS IAE): a second is a 409. It starts "
    "`new`; make it `ready` once its facts are complete.",
    responses=WRITES,
)
async def create_fiche(
    structure_id: uuid.UUID,
    body: FicheCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> FicheRead:
    structure = await _own_structure(session, caller, structure_id)
    salarie = await salaries.visible(session, caller, body.salarie_id)
    if salarie.structure_id != structure_id:
        raise NotFound("no salarié with this id in the structure")
    about_salarie(request, salarie.id)
    pass_iae = await salaries.pass_of(session, salarie.id)
    fiche = await service.create_fiche(session, structure, salarie, pass_iae)
    return service.fiche_read(fiche)


@router.get(
    "/v1/structures/{structure_id}/fiches-salarie",
    summary="The structure's fiches salarié",
    description="Oldest first.",
)
async def list_fiches(
    structure_id: uuid.UUID,
    session: SessionDep,
    caller: PersonalReader,
    page: PageDep,
    fiche_status: Annotated[FicheStatus | None, Query(alias="status")] = None,
) -> Page[FicheRead]:
    await _own_structure(session, caller, structure_id)
    rows = await repository.fiches_page(
        session, structure_id, fiche_status, after=page.after(repository.FICHES), limit=page.limit
    )
    items = [service.fiche_read(row) for row in rows]
    return build_page(items, page, repository.FICHES, lambda f: (f.created_at, f.id))


@router.get("/v1/fiches-salarie/{fiche_id}", summary="A fiche salarié")
async def read_fiche(fiche_id: uuid.UUID, session: SessionDep, caller: PersonalReader) -> FicheRead:
    return service.fiche_read(await _own_fiche(session, caller, fiche_id))


@router.post(
    "/v1/fiches-salarie/{fiche_id}/status",
    summary="Move a fiche: ready, disabled, enabled, archived, unarchived",
    description="To `ready`, every check the ASP is known to apply must pass: a 422 "
    "`fiche-salarie-incomplete` lists each failure with the field to fix (`pointer`), the "
    "ASP's field and its error code where known. A move its state does not allow is a "
    "409. `dry_run=true` answers as the move would, and writes nothing.",
    responses={**problem_responses(409), **INCOMPLETE},
)
async def move_fiche(
    fiche_id: uuid.UUID,
    body: FicheStatusChange,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
    dry_run: Annotated[QueryFlag, Query()] = False,
) -> FicheRead:
    fiche = await _own_fiche(session, caller, fiche_id, lock=True)
    about_salarie(request, fiche.salarie_id)
    return await service.move(session, fiche, body.status, _nir_key(request), dry_run=dry_run)


# ----- batches -------------------------------------------------------------------------


@router.post(
    "/v1/structures/{structure_id}/asp/batches",
    status_code=status.HTTP_201_CREATED,
    summary="Build the structure's next batch file for the ASP",
    description="`C`: every ready fiche, oldest change first; `M`: every waiting change of "
    "an integrated fiche's PASS IAE dates (a suspension or prolongation queues one). At "
    "most 700 lines and 2 MiB: the rest waits for the next batch. Each line is checked "
    "again; one that fails stays as it was, listed in `skipped`. The fiches sent are "
    "`sent` until the return file is applied. Nothing to send is a 409.",
    responses=WRITES,
)
async def create_batch(
    structure_id: uuid.UUID,
    body: BatchCreate,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> BatchCreated:
    refuse_other_structure(caller, structure_id, service.NO_STRUCTURE)
    structure = found(await structures.lock(session, structure_id), service.NO_STRUCTURE)
    return await service.build_batch(session, structure, body.movement, _nir_key(request))


@router.get(
    "/v1/structures/{structure_id}/asp/batches",
    summary="The structure's batch files",
    description="Oldest first.",
)
async def list_batches(
    structure_id: uuid.UUID, session: SessionDep, caller: PersonalReader, page: PageDep
) -> Page[BatchRead]:
    await _own_structure(session, caller, structure_id)
    rows = await repository.batches_page(
        session, structure_id, after=page.after(repository.BATCHES), limit=page.limit
    )
    items = [BatchRead.model_validate(row) for row in rows]
    return build_page(items, page, repository.BATCHES, lambda b: (b.created_at, b.id))


@router.get(
    "/v1/structures/{structure_id}/asp/batches/{batch_id}",
    summary="Download a batch file, byte for byte as the ASP takes it",
    description="UTF-8 JSON, compact, named `RIAE_FS_AAAAMMJJHHMMSS.json` "
    "(`Content-Disposition`). A batch a pseudonymised salarié was sent in is a 410.",
    responses={
        200: {
            "content": {
                ASP_JSON: {
                    "schema": {
                        "type": "object",
                        "description": "The ASP's envelope: `msgInformatif`, `telId` and "
                        "`lignesTelechargement`, one object per fiche (ASP_FS.md)",
                        "required": ["msgInformatif", "telId", "lignesTelechargement"],
                        "properties": {
                            "msgInformatif": {"type": ["string", "null"]},
                            "telId": {"type": ["string", "null"]},
                            "lignesTelechargement": {"type": "array", "items": {"type": "object"}},
                        },
                    }
                }
            }
        },
        **problem_responses(410),
    },
    response_class=Response,
)
async def download_batch(
    structure_id: uuid.UUID, batch_id: uuid.UUID, session: SessionDep, caller: PersonalReader
) -> Response:
    await _own_structure(session, caller, structure_id)
    name, body = await service.batch_file(session, structure_id, batch_id)
    return Response(
        body,
        media_type=ASP_JSON,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/v1/structures/{structure_id}/asp/batches/{batch_id}/return",
    summary="Apply the ASP's return file of a batch",
    description="The file `…_FichierRetour.json` as the ASP gave it: each line's "
    "`codeTraitement` is applied. `0000`: integrated; `3436` (already known for this "
    "SIRET): integrated as a duplicate, and a PASS IAE with suspensions or prolongations "
    "queues an `M`; any other (`3437`, `32xx`, `33xx`, `34xx`…): rejected with its code and "
    "label, with an alert and a `fiche_salarie.rejected` webhook. A file that is not this "
    "batch's return (unknown or repeated line, another PASS IAE or SIRET, no code) is a "
    "422 `return-file-refused` and nothing is applied; a second return is a 409.",
    responses={**problem_responses(409)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                ASP_JSON: {
                    "schema": {
                        "type": "object",
                        "description": "The ASP's return file: the batch echoed, each line "
                        "with `codeTraitement` and `libelleTraitement`",
                        "required": ["lignesTelechargement"],
                        "properties": {
                            "lignesTelechargement": {"type": "array", "items": {"type": "object"}}
                        },
                    }
                }
            },
        }
    },
)
async def apply_return(
    structure_id: uuid.UUID,
    batch_id: uuid.UUID,
    session: SessionDep,
    caller: PersonalWriter,
    request: Request,
) -> ReturnReport:
    await _own_structure(session, caller, structure_id)
    return await service.apply_return(session, structure_id, batch_id, await request.body())


# ----- the ASP's reference tables ------------------------------------------------------


@reference_router.get(
    "/communes",
    summary="The ASP's commune table",
    description="Each code's names over time (a birth commune is checked on the birth "
    "date, a commune of residence among the current ones).",
)
async def list_communes(
    session: SessionDep,
    caller: AnyCaller,
    page: PageDep,
    code: Annotated[CommuneCode | None, Query()] = None,
    name: Annotated[
        str | None, Query(min_length=2, max_length=100, description="Starts with")
    ] = None,
    current: Annotated[QueryFlag, Query(description="Only the communes that exist today")] = False,
) -> Page[AspCommuneRead]:
    rows = await repository.communes_page(
        session,
        code=code,
        name=name,
        current=current,
        after=page.after(repository.COMMUNES),
        limit=page.limit,
    )
    items = [AspCommuneRead.model_validate(row) for row in rows]
    return build_page(items, page, repository.COMMUNES, lambda c: (c.code, c.start_date))


@reference_router.get("/countries", summary="The ASP's country table")
async def list_countries(
    session: SessionDep, caller: AnyCaller, page: PageDep
) -> Page[AspCountryRead]:
    rows = await repository.countries_page(
        session, after=page.after(repository.COUNTRIES), limit=page.limit
    )
    items = [AspCountryRead.model_validate(row) for row in rows]
    return build_page(items, page, repository.COUNTRIES, lambda c: (c.code, c.overseas))


@reference_router.get(
    "/{table}",
    summary="One of the ASP's small tables: its codes and labels",
    description="The codes a fiche salarié's profile takes (`niveaux-formation`, "
    "`orienteurs`, `durees`, `types-voie`…), as the ASP's files define them.",
)
async def list_codes(table: Annotated[reference.AspTable, Path()], caller: AnyCaller) -> AspCodes:
    return AspCodes(
        table=table.value,
        items=[AspCode(code=code, label=label) for code, label in reference.TABLES[table]],
    )


# ----- who may reach what --------------------------------------------------------------


async def _own_structure(session: SessionDep, caller: Caller, structure_id: uuid.UUID) -> Structure:
    """The structure, for admin and the structure's own keys (another's is a 404)."""
    refuse_other_structure(caller, structure_id, service.NO_STRUCTURE)
    return found(await session.get(Structure, structure_id), service.NO_STRUCTURE)


async def _own_fiche(
    session: SessionDep, caller: Caller, fiche_id: uuid.UUID, *, lock: bool = False
) -> FicheSalarie:
    fiche = found(await repository.fiche(session, fiche_id, lock=lock), service.NO_FICHE)
    refuse_other_structure(caller, fiche.structure_id, service.NO_FICHE)
    return fiche


def _nir_key(request: Request) -> bytes:
    key: bytes = request.app.state.nir_key
    return key
