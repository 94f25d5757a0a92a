import uuid
from collections.abc import Sequence

from fastapi import Response, status

from app.auth import AdminWriter, Caller, Reader
from app.concurrency import IfMatch, check_if_match, etag, versioned
from app.db import SessionDep
from app.errors import NotFound, UnknownReference, field_problem, found, problem_responses
from app.keys.models import Role
from app.networks import repository
from app.networks.models import Network
from app.networks.schemas import MemberAdd, NetworkCreate, NetworkRead, NetworkUpdate
from app.pagination import Page, PageDep, build_page
from app.reference.territory import validate_codes
from app.routing import api_router
from app.structures import repository as structures

router = api_router(
    prefix="/v1/networks",
    tags=["networks"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 412, 413, 415)
LIST = "networks"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a network",
    description="Admin only. Its scope is its member structures plus every structure in its "
    "régions and départements, as they are when read.",
    responses={**WRITE_PROBLEMS, **versioned(201, created=True)},
)
async def create_network(
    body: NetworkCreate, session: SessionDep, caller: AdminWriter, response: Response
) -> NetworkRead:
    await validate_codes(
        session, region_codes=body.region_codes, departement_codes=body.departement_codes
    )
    await _refuse_unknown_structures(session, body.member_structure_ids, "member_structure_ids")
    network = await repository.add(
        session,
        Network(
            name=body.name, region_codes=body.region_codes, departement_codes=body.departement_codes
        ),
    )
    await repository.add_members(session, network.id, body.member_structure_ids)
    response.headers["ETag"] = etag(network.version)
    response.headers["Location"] = f"{router.prefix}/{network.id}"
    return (await _reads(session, [network]))[0]


@router.get("", summary="List networks", description="Admin: all; a network key: its own.")
async def list_networks(session: SessionDep, caller: Reader, page: PageDep) -> Page[NetworkRead]:
    rows = (
        []
        if caller.role not in (Role.admin, Role.network)
        else await repository.page(
            session,
            only=caller.network_id if caller.role is Role.network else None,
            after=page.after(LIST),
            limit=page.limit,
        )
    )
    return build_page(await _reads(session, rows), page, LIST, lambda n: (n.updated_at, n.id))


@router.get("/{network_id}", summary="Read a network", responses={**versioned(200)})
async def read_network(
    network_id: uuid.UUID, session: SessionDep, caller: Reader, response: Response
) -> NetworkRead:
    network = await _visible(session, caller, network_id)
    response.headers["ETag"] = etag(network.version)
    return (await _reads(session, [network]))[0]


@router.patch(
    "/{network_id}",
    summary="Rename a network or replace its territorial scope",
    description="Admin only; `If-Match` honoured (412 on a stale ETag).",
    responses={**WRITE_PROBLEMS, **versioned(200)},
)
async def update_network(
    network_id: uuid.UUID,
    body: NetworkUpdate,
    session: SessionDep,
    caller: AdminWriter,
    response: Response,
    if_match: IfMatch = None,
) -> NetworkRead:
    changes = body.model_dump(exclude_unset=True)
    await validate_codes(
        session,
        region_codes=changes.get("region_codes", []),
        departement_codes=changes.get("departement_codes", []),
    )
    network = await _locked(session, network_id)
    check_if_match(if_match, network.version)
    await repository.save(session, network, changes)
    response.headers["ETag"] = etag(network.version)
    return (await _reads(session, [network]))[0]


@router.post(
    "/{network_id}/members",
    summary="Add a member structure",
    description="Admin only; adding a member twice changes nothing.",
    responses=WRITE_PROBLEMS,
)
async def add_network_member(
    network_id: uuid.UUID, body: MemberAdd, session: SessionDep, caller: AdminWriter
) -> NetworkRead:
    network = await _locked(session, network_id)
    await _refuse_unknown_structures(session, [body.structure_id], "structure_id")
    await repository.add_members(session, network_id, [body.structure_id])
    await repository.save(session, network, {})
    return (await _reads(session, [network]))[0]


@router.delete(
    "/{network_id}/members/{structure_id}",
    summary="Remove a member structure",
    description="Admin only. The structure leaves the scope unless a région or département "
    "of the network still covers it.",
)
async def remove_network_member(
    network_id: uuid.UUID, structure_id: uuid.UUID, session: SessionDep, caller: AdminWriter
) -> NetworkRead:
    network = await _locked(session, network_id)
    if not await repository.remove_member(session, network_id, structure_id):
        raise NotFound("this structure is not a member of this network")
    await repository.save(session, network, {})
    return (await _reads(session, [network]))[0]


async def _visible(session: SessionDep, caller: Caller, network_id: uuid.UUID) -> Network:
    allowed = caller.role is Role.admin or caller.network_id == network_id
    return found(
        await repository.get(session, network_id) if allowed else None, "no network with this id"
    )


async def _locked(session: SessionDep, network_id: uuid.UUID) -> Network:
    return found(await repository.lock(session, network_id), "no network with this id")


async def _refuse_unknown_structures(session: SessionDep, ids: list[uuid.UUID], field: str) -> None:
    known = await structures.existing_ids(session, ids)
    unknown = [
        field_problem(f"{field}.{index}" if field.endswith("ids") else field, f"no structure {sid}")
        for index, sid in enumerate(ids)
        if sid not in known
    ]
    if unknown:
        raise UnknownReference("unknown structures", errors=unknown)


async def _reads(session: SessionDep, networks: Sequence[Network]) -> list[NetworkRead]:
    members = await repository.member_ids(session, [n.id for n in networks])
    return [
        NetworkRead(
            id=n.id,
            name=n.name,
            region_codes=n.region_codes,
            departement_codes=n.departement_codes,
            member_structure_ids=members[n.id],
            created_at=n.created_at,
            updated_at=n.updated_at,
        )
        for n in networks
    ]
