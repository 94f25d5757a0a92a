"""The hot paths: lean routes answer their models' JSON and FastAPI's problems."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.routing import APIRoute, request_response
from pydantic import TypeAdapter

from app.keys.models import Role, Scope
from app.lean import LeanRoute, Plan, RouteNotPlannable, fast_path
from app.missions.schemas import MissionRead
from app.pagination import Page
from app.parcours.schemas import ContractRead, HoursRead, ParcoursRead
from app.routing import FastRouteIncluded, api_router, install_route_index, mount
from app.structures.schemas import StructureRead
from app.tombstones.schemas import SyncPage
from tests.support.keys import KeyMaker, bearer
from tests.support.problems import pointers
from tests.support.records import (
    CDDI,
    create_company,
    create_structure,
    mission_body,
    new_siret,
    salarie_in_parcours,
)

HOT_PATHS = {
    "list_parcours",
    "list_missions",
    "read_structure",
    "read_contract",
    "set_contract_hours",
    "create_mission",
}
# every route declared with @fast_path: the hot paths, and answers without a database
FAST_ROUTES = HOT_PATHS | {"list_contracts", "metrics", "read_changelog"}


def lean_routes(app: FastAPI) -> dict[str, APIRoute]:
    return {
        route.name: route
        for route in app.routes
        if isinstance(route, LeanRoute) and route.plan is not None
    }


def test_exactly_the_declared_routes_have_a_plan(app: FastAPI) -> None:
    assert set(lean_routes(app)) == FAST_ROUTES


async def test_requests_reach_the_plans(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not only built: each fast route's requests are answered by its plan."""
    served: list[str] = []
    handle = Plan.handle

    async def spy(plan: Plan, request: Request) -> Response:
        served.append(plan.endpoint.__name__)
        return await handle(plan, request)

    monkeypatch.setattr(Plan, "handle", spy)
    own, buyer = world["own"], world["buyer"]
    structure_id, contract_id = world["structure"]["id"], world["contract"]["id"]
    requests: list[tuple[str, str, dict[str, str], Any]] = [
        ("GET", "/metrics", {}, None),
        ("GET", "/changelog", {}, None),
        ("GET", f"/v1/structures/{structure_id}", own, None),
        ("GET", "/v1/parcours", own, None),
        ("GET", "/v1/contracts", own, None),
        ("GET", f"/v1/contracts/{contract_id}", own, None),
        ("PUT", f"/v1/contracts/{contract_id}/hours/2024-03", own, {"hours": 1}),
        ("POST", "/v1/missions", buyer, mission_body(structure_id)),
        ("GET", "/v1/missions", buyer, None),
    ]  # fmt: skip
    for method, url, headers, body in requests:
        response = await client.request(method, url, headers=headers, json=body)
        assert response.status_code in (200, 201), (url, response.text)
    assert sorted(served) == sorted(FAST_ROUTES)


@pytest.fixture
async def world(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> dict[str, Any]:
    """A structure with a parcours, an amended contract and a mission; its keys."""
    structure = await create_structure(client, admin_headers, kind="ACI")
    moved = await client.patch(
        f"/v1/structures/{structure['id']}", headers=admin_headers, json={"siret": new_siret()}
    )
    assert moved.status_code == 200, moved.text
    own = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
    )
    _, parcours = await salarie_in_parcours(client, own)
    signed = await client.post(f"/v1/parcours/{parcours['id']}/contracts", headers=own, json=CDDI)
    assert signed.status_code == 201, signed.text
    contract = signed.json()
    amended = await client.post(
        f"/v1/contracts/{contract['id']}/amendments",
        headers=own,
        json={"signed_on": "2024-07-01", "end_date": "2024-12-31"},
    )
    assert amended.status_code == 200, amended.text
    company = await create_company(client, admin_headers)
    buyer = bearer(
        await make_key(Role.company, (Scope.read, Scope.write), company_id=company["id"])
    )
    return {
        "structure": structure,
        "moved": moved.json(),
        "amended": amended.json(),
        "contract": contract,
        "own": own,
        "buyer": buyer,
        "clause": {"insertion_hours_target": "150.50"},
    }


async def test_lean_answers_are_their_response_models_json(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    own, buyer = world["own"], world["buyer"]
    structure_id, contract_id = world["structure"]["id"], world["contract"]["id"]
    created = await client.post(
        "/v1/missions",
        headers=buyer,
        json=mission_body(structure_id, social_clause=world["clause"]),
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/missions/{created.json()['id']}"
    assert created.headers["etag"] == '"1"'
    answers: list[tuple[httpx.Response, Any]] = [
        (created, MissionRead),
        (await client.get("/v1/parcours?limit=1", headers=own), Page[ParcoursRead]),
        (await client.get("/v1/missions?limit=5", headers=buyer), SyncPage[MissionRead]),
        (await client.get("/v1/missions?limit=5", headers=own), SyncPage[MissionRead]),
        (await client.get(f"/v1/structures/{structure_id}", headers=own), StructureRead),
        (await client.get(f"/v1/structures/{structure_id}", headers=buyer), StructureRead),
        (await client.get(f"/v1/contracts/{contract_id}", headers=own), ContractRead),
        (
            await client.put(
                f"/v1/contracts/{contract_id}/hours/2024-03", headers=own, json={"hours": 98.5}
            ),
            HoursRead,
        ),
    ]
    for response, model in answers:
        assert response.status_code in (200, 201), response.text
        adapter = TypeAdapter(model)
        # byte for byte what the model would write: same fields, order and formats
        assert adapter.dump_json(adapter.validate_json(response.content)) == response.content
    contract = answers[6][0].json()
    assert [a["new_end_date"] for a in contract["amendments"]] == ["2024-12-31"]
    # the same values as the writes answered through the ORM, not only the same shape
    assert contract == world["amended"]
    assert answers[4][0].json() == world["moved"]
    structure = answers[4][0].json()
    assert len(structure["previous_sirets"]) == 1
    assert structure["contact"] is not None
    assert answers[5][0].json()["contact"] is None  # a company sees no contact
    assert answers[7][0].json() == {
        "contract_id": contract_id,
        "month": "2024-03",
        "hours": "98.50",
    }
    mission = created.json()
    assert mission["social_clause"] == world["clause"]
    assert mission["status"] == "proposee"


async def test_lean_lists_page_with_their_cursor(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    buyer, structure_id = world["buyer"], world["structure"]["id"]
    for _ in range(3):
        response = await client.post("/v1/missions", headers=buyer, json=mission_body(structure_id))
        assert response.status_code == 201
    seen, cursor = [], None
    while True:
        query = "/v1/missions?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(query, headers=buyer)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3
    filtered = await client.get(
        f"/v1/missions?structure={structure_id}&status=proposee&active_from=2025-01-01",
        headers=buyer,
    )
    assert len(filtered.json()["items"]) == 3
    foreign = await client.get("/v1/parcours", headers=buyer)
    assert foreign.status_code == 403


@contextmanager
def generic(route: APIRoute) -> Iterator[None]:
    """The route served by FastAPI's own handler for a while."""
    planned = route.app
    route.app = request_response(route.get_route_handler())
    try:
        yield
    finally:
        route.app = planned


def without_ids(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k not in ("request_id", "instance")}


async def test_lean_problems_are_fastapis(
    app: FastAPI, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    own, buyer, structure_id = world["own"], world["buyer"], world["structure"]["id"]
    hours = f"/v1/contracts/{world['contract']['id']}/hours"
    bad: list[tuple[str, str, dict[str, str], Any]] = [
        ("GET", "/v1/parcours?limit=0", own, None),
        ("GET", "/v1/parcours?limit=abc&status=nope", own, None),
        ("GET", "/v1/parcours?cursor=forged.cursor", own, None),
        ("GET", "/v1/missions?active_from=yesterday", buyer, None),
        ("GET", "/v1/contracts/not-a-uuid", own, None),
        ("GET", f"/v1/contracts/{world['structure']['id']}", own, None),
        ("PUT", f"{hours}/2024-13", own, {"hours": 1}),
        ("PUT", f"{hours}/2024-03", own, {"hours": -1}),
        ("PUT", f"{hours}/2024-03", own, {"hours": 1, "extra": True}),
        ("PUT", f"{hours}/2030-03", own, {"hours": 1}),
        ("PUT", f"{hours}/2024-03", buyer, {"hours": 1}),
        ("POST", "/v1/missions", buyer, {"title": "no reference"}),
        ("POST", "/v1/missions", buyer, mission_body(structure_id, kind="mise_a_disposition")),
        ("POST", "/v1/missions", {}, mission_body(structure_id)),
        # FastAPI's order: a body that is not JSON, then the key, then every invalid field
        ("GET", "/v1/parcours?limit=0", {}, None),
        ("PUT", f"{hours}/2024-13", {}, {"hours": -1}),
        ("PUT", f"{hours}/2024-13", own, {"hours": -1}),
        ("PUT", f"{hours}/2024-13", {}, b"{not json"),
        ("PUT", f"{hours}/2024-03", own, b""),
    ]  # fmt: skip
    routes = lean_routes(app)
    for method, url, headers, body in bad:
        sent: dict[str, Any] = {"json": body}
        if isinstance(body, bytes):
            sent = {"content": body, "headers": {**headers, "Content-Type": "application/json"}}
        else:
            sent["headers"] = headers
        lean = await client.request(method, url, **sent)
        with ExitStack() as stack:
            for name in HOT_PATHS:
                stack.enter_context(generic(routes[name]))
            fastapi = await client.request(method, url, **sent)
        assert lean.status_code >= 400, (url, lean.text)
        assert lean.status_code == fastapi.status_code, (url, lean.text, fastapi.text)
        assert without_ids(lean.json()) == without_ids(fastapi.json()), url


async def test_empty_and_broken_bodies(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    url = f"/v1/contracts/{world['contract']['id']}/hours/2024-03"
    empty = await client.put(url, headers={**world["own"], "Content-Type": "application/json"})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["pointer"] == "/body"
    broken = await client.put(
        url, headers={**world["own"], "Content-Type": "application/json"}, content=b"{"
    )
    assert broken.status_code == 400
    assert broken.json()["detail"] == "the request body is not valid JSON"


async def test_a_taken_external_ref_is_a_conflict_naming_the_mission(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    body = mission_body(world["structure"]["id"])
    first = await client.post("/v1/missions", headers=world["buyer"], json=body)
    again = await client.post("/v1/missions", headers=world["buyer"], json=body)
    assert again.status_code == 409
    assert again.json()["existing_mission_id"] == first.json()["id"]


def fast_router_with(endpoint: Callable[..., Any]) -> APIRouter:
    router = api_router()
    router.get("/v1/probe/{probe_id}")(fast_path(endpoint))
    return router


async def plannable(probe_id: int, limit: int = 10) -> Response:
    return Response(f"{probe_id}:{limit}")


async def with_header(probe_id: int, x_probe: Annotated[str, Header()]) -> Response:
    return Response(x_probe)


async def with_list(probe_id: int, tag: Annotated[list[str] | None, Query()] = None) -> Response:
    return Response(str(tag))


async def with_model(probe_id: int) -> dict[str, int]:
    return {"probe_id": probe_id}


def with_sync_call(probe_id: int) -> Response:
    return Response(str(probe_id))


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        (with_header, "takes a header parameter"),
        (with_list, "takes a list in its parameter tag"),
        (with_model, "does not return a Response"),
        (with_sync_call, "is not a coroutine function"),
    ],
)
def test_a_fast_route_that_cannot_be_planned_stops_the_start(
    endpoint: Callable[..., Any], reason: str
) -> None:
    with pytest.raises(RouteNotPlannable, match=reason):
        fast_router_with(endpoint)


def test_a_route_not_declared_fast_has_no_plan() -> None:
    router = api_router()
    router.get("/v1/probe/{probe_id}")(plannable)
    (route,) = router.routes
    assert isinstance(route, LeanRoute)
    assert route.plan is None


async def probe(endpoint: Callable[..., Any], *urls: str) -> list[str]:
    """What an app with the fast route of ``endpoint``, mounted, answers ``urls``."""
    app = FastAPI()
    mount(app, [fast_router_with(endpoint)])
    install_route_index(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        return [(await client.get(url)).text for url in urls]


async def test_a_fast_route_is_served_by_its_plan_once_mounted() -> None:
    assert await probe(plannable, "/v1/probe/7?limit=3") == ["7:3"]


def test_a_fast_route_added_with_include_router_stops_the_start() -> None:
    app = FastAPI()
    app.include_router(fast_router_with(plannable))
    with pytest.raises(FastRouteIncluded, match="plannable asks for the fast path"):
        install_route_index(app)


@dataclass(frozen=True)
class ProbeQuery:
    colour: Annotated[str | None, Query(alias="color")] = None


async def with_query_model(probe_id: int, query: Annotated[ProbeQuery, Depends()]) -> Response:
    return Response(f"{probe_id}:{query.colour}")


async def test_a_query_model_is_made_of_its_parameters_by_the_plan() -> None:
    answers = await probe(with_query_model, "/v1/probe/7?color=ocre", "/v1/probe/7")
    assert answers == ["7:ocre", "7:None"]


async def test_a_single_valued_query_parameter_sent_twice_is_refused(
    client: httpx.AsyncClient, world: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    """FastAPI and Starlette would keep the last value of a repeated key: a request the
    contract does not allow would be served as another one."""
    own, buyer = world["own"], world["buyer"]
    for url, headers in [
        ("/v1/missions?updated_since=&updated_since=3600.0", buyer),  # a fast route
        ("/v1/parcours?limit=1&limit=2", own),  # a fast route, a dependency's parameter
        ("/v1/salaries?limit=5&limit=5", own),  # a route FastAPI serves
    ]:
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 422, (url, answer.text)
        assert set(pointers(answer)) == {f"/query/{url.split('?')[1].split('=')[0]}"}, url
    grouped = await client.get(
        "/v1/indicators/sorties",
        headers=admin_headers,
        params=[
            ("from", "2025-01"),
            ("to", "2025-12"),
            ("group_by", "year"),
            ("group_by", "region"),
        ],
    )
    assert grouped.status_code == 200, grouped.text  # a list takes its key repeated
