"""The smaller holes found at the boundary: each request below was answered wrongly
(a 200, a 409 naming a constraint, a 500) and is now refused with a problem pointing at
the field, or, for the PASS IAE, accepted where it is legal."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import CheckConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.keys.models import Role
from app.models import Base
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    create_company,
    create_structure,
    mission_body,
    salarie_in_parcours,
)


def pointers(answer: httpx.Response) -> list[str]:
    return [error["pointer"] for error in answer.json().get("errors", [])]


@pytest.fixture
async def world(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> dict[str, Any]:
    first = await create_structure(client, admin_headers, kind="ACI")
    second = await create_structure(client, admin_headers, kind="ACI")
    company = await create_company(client, admin_headers)
    return {
        "first": first,
        "second": second,
        "first_key": bearer(await make_key(Role.structure, structure_id=first["id"])),
        "second_key": bearer(await make_key(Role.structure, structure_id=second["id"])),
        "company_key": bearer(await make_key(Role.company, company_id=company["id"])),
    }


async def test_a_staffed_mission_keeps_its_structure_by_every_write(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    body = mission_body(world["first"]["id"])
    ref = body.pop("external_ref")
    put = await client.put(f"/v1/missions/by-ref/{ref}", headers=world["company_key"], json=body)
    assert put.status_code == 201, put.text
    mission = put.json()
    # before anyone works on it, the company may still send it elsewhere
    moved = body | {"structure_id": world["second"]["id"]}
    back = body | {"structure_id": world["first"]["id"]}
    for target in (moved, back):
        answer = await client.put(
            f"/v1/missions/by-ref/{ref}", headers=world["company_key"], json=target
        )
        assert answer.status_code == 200, answer.text
    person, _ = await salarie_in_parcours(client, world["first_key"])
    assigned = await client.post(
        f"/v1/missions/{mission['id']}/assignments",
        headers=world["first_key"],
        json={"salarie_id": person["id"]},
    )
    assert assigned.status_code == 204, assigned.text

    by_ref = await client.put(
        f"/v1/missions/by-ref/{ref}", headers=world["company_key"], json=moved
    )
    bulk = await client.post(
        "/v1/missions/bulk?mode=partial",
        headers=world["company_key"],
        json=[moved | {"external_ref": ref}],
    )
    assert by_ref.status_code == 409, by_ref.text
    assert pointers(by_ref) == ["/body/structure_id"]
    assert bulk.status_code == 200, bulk.text
    [item] = bulk.json()["items"]
    assert item["outcome"] == "error"
    assert item["problem"]["errors"][0]["pointer"] == "/0/structure_id"
    read = await client.get(f"/v1/missions/{mission['id']}", headers=world["company_key"])
    assert read.json()["structure_id"] == world["first"]["id"]
    hours = await client.get(
        f"/v1/missions/{mission['id']}/assignments/{person['id']}/hours",
        headers=world["second_key"],
    )
    assert hours.status_code in (403, 404)


async def test_a_pseudonymised_persons_parcours_takes_no_new_free_text(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    own = world["first_key"]
    person, parcours = await salarie_in_parcours(client, own)
    base = f"/v1/parcours/{parcours['id']}"
    exited = await client.post(
        f"{base}/exit", headers=own, json={"exit_date": "2024-06-30", "motif": "cdi"}
    )
    assert exited.status_code == 200, exited.text
    frein = await client.post(
        f"{base}/freins", headers=own, json={"kind": "mobilite", "identified_on": "2024-02-01"}
    )
    assert frein.status_code == 201, frein.text
    gone = await client.delete(f"/v1/salaries/{person['id']}", headers=own)
    assert gone.status_code == 204, gone.text
    for path, body in (
        (
            "actions",
            {"kind": "entretien", "done_on": "2024-03-01", "duration_minutes": 30, "note": "x"},
        ),
        ("objectives", {"label": "Permis B", "target_date": "2024-06-30"}),
        ("freins", {"kind": "logement", "identified_on": "2024-02-01"}),
    ):
        answer = await client.post(f"{base}/{path}", headers=own, json=body)
        assert answer.status_code == 409, (path, answer.text)
    patched = await client.patch(
        f"{base}/freins/{frein.json()['id']}", headers=own, json={"lifted_on": "2024-05-01"}
    )
    assert patched.status_code == 409, patched.text


async def test_a_pass_iae_follows_the_person_from_one_structure_to_the_next(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    number = f"99{uuid.uuid4().int % 10**10:010d}"
    first, _ = await salarie_in_parcours(client, world["first_key"])
    second, _ = await salarie_in_parcours(client, world["second_key"])
    body = {"number": number, "start_date": "2024-01-01"}
    for person, key in ((first, world["first_key"]), (second, world["second_key"])):
        answer = await client.put(f"/v1/salaries/{person['id']}/pass-iae", headers=key, json=body)
        assert answer.status_code == 200, answer.text
    # in one structure, one salarié holds it: said on the field, no constraint named
    other, _ = await salarie_in_parcours(client, world["first_key"])
    taken = await client.put(
        f"/v1/salaries/{other['id']}/pass-iae", headers=world["first_key"], json=body
    )
    assert taken.status_code == 409
    assert pointers(taken) == ["/body/number"]
    assert "uq_" not in taken.text


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/missions", "updated_since"),
        ("/v1/salaries", "updated_since"),
        ("/v1/structures", "updated_since"),
        ("/v1/companies", "updated_since"),
        ("/v1/audit", "since"),
        ("/v1/audit", "until"),
    ],
)
async def test_instants_out_of_range_are_422_with_their_pointer(
    client: httpx.AsyncClient, admin_headers: dict[str, str], path: str, parameter: str
) -> None:
    for instant in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2250-01-01"):
        answer = await client.get(path, headers=admin_headers, params={parameter: instant})
        assert answer.status_code == 422, (instant, answer.text)
        assert pointers(answer) == [f"/query/{parameter}"]
    fine = await client.get(path, headers=admin_headers, params={parameter: "2025-01-01T00:00Z"})
    assert fine.status_code == 200, fine.text


async def test_a_pass_iae_ending_past_the_supported_days_is_a_422(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    person, _ = await salarie_in_parcours(client, world["first_key"])
    answer = await client.put(
        f"/v1/salaries/{person['id']}/pass-iae",
        headers=world["first_key"],
        json={"number": "999999999999", "start_date": "2199-12-31"},
    )
    assert answer.status_code == 422, answer.text
    assert pointers(answer) == ["/body/start_date"]


async def test_dry_run_takes_true_or_false_only_and_is_not_audited(
    client: httpx.AsyncClient, world: dict[str, Any], session: AsyncSession
) -> None:
    batch = [mission_body(world["first"]["id"])]
    for spelling in ("yes", "1", "on", "True"):
        answer = await client.post(
            f"/v1/missions/bulk?dry_run={spelling}", headers=world["company_key"], json=batch
        )
        assert answer.status_code == 422, (spelling, answer.text)
        assert pointers(answer) == ["/query/dry_run"]
    dry = await client.post(
        "/v1/missions/bulk?dry_run=true", headers=world["company_key"], json=batch
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["written"] is False
    audited = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "bulk_missions")
    )
    assert audited == 0
    real = await client.post("/v1/missions/bulk", headers=world["company_key"], json=batch)
    assert real.status_code == 200, real.text
    audited = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "bulk_missions")
    )
    assert audited == 1


@pytest.mark.parametrize(
    ("role", "field"),
    [("structure", "structure_id"), ("company", "company_id"), ("network", "network_id")],
)
async def test_a_key_bound_to_nothing_is_a_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], role: str, field: str
) -> None:
    answer = await client.post(
        "/v1/keys",
        headers=admin_headers,
        json={"name": "orphan", "role": role, field: str(uuid.uuid4())},
    )
    assert answer.status_code == 422, answer.text
    assert pointers(answer) == [f"/body/{field}"]


async def test_a_check_constraint_tripped_by_a_client_is_a_422_on_its_field(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    own = world["first_key"]
    _, parcours = await salarie_in_parcours(client, own)
    base = f"/v1/parcours/{parcours['id']}"
    frein = await client.post(
        f"{base}/freins", headers=own, json={"kind": "mobilite", "identified_on": "2024-03-01"}
    )
    assert frein.status_code == 201, frein.text
    answer = await client.patch(
        f"{base}/freins/{frein.json()['id']}", headers=own, json={"lifted_on": "2024-02-01"}
    )
    assert answer.status_code == 422, answer.text
    assert pointers(answer) == ["/body/lifted_on"]
    assert "ck_" not in answer.text


def test_every_check_constraint_says_which_field_it_guards_or_why_none() -> None:
    unsaid = [
        f"{table.name}.{constraint.name}"
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
        and not getattr(constraint, "_type_bound", False)  # an enumeration: a schema's enum
        and not ({"field", "internal"} & set(constraint.info))
    ]
    assert unsaid == []
