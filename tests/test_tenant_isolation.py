"""Tenant isolation, generated from the committed OpenAPI document: every operation, with
every kind of key, on the records of tenant A.

Keys outside A (structure B, company B, a network whose scope misses A) get a 403 or a
404 on every operation that names one of A's records, in its path or its body; their
lists show none of A's records. Company and network keys, A's own included, never get a
salarié's identity, and get a 403 on every personal-data operation. Admin and A's own
structure key read everything of A: the proof that the records are really addressed.
A new endpoint is in the matrix as soon as it is in the document."""

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from app.keys.models import Role, Scope
from tests.support.fiches import PROFILE, rejected_fiche
from tests.support.figures import record
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    IN_OCCITANIE,
    create_company,
    create_network,
    create_structure,
    mission_body,
    salarie_in_parcours,
)
from tests.support.server import PROJECT_ROOT

DOCUMENT = orjson.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_bytes())
PERSONAL_TAGS = {"salaries", "parcours", "alerts", "months", "fiches salarié"}
OUTSIDERS = ("structure_b", "company_b", "network_out")
PARTNERS = ("company_a", "network_in")
ROLES = ("admin", "structure_a", *PARTNERS, *OUTSIDERS)
ADMIN_REGISTRIES = ("/v1/keys", "/v1/audit", "/v1/networks", "/v1/companies")
# what any key may do to A's records, by design (the reason beside each)
OPEN_TO_ALL = {
    # a company proposes missions to any structure: it writes its own missions
    "create_mission",
    "bulk_missions",
    "upsert_mission",
}


@dataclass
class TenantA:
    ids: dict[str, str] = field(default_factory=dict)
    private: set[str] = field(default_factory=set)  # ids no outsider may see
    identity: list[str] = field(default_factory=list)  # what identifies the salarié
    external_ref: str = ""
    keys: dict[str, dict[str, str]] = field(default_factory=dict)


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def tenant(live_client: httpx.AsyncClient, make_live_key: KeyMaker) -> TenantA:
    client, make_key = live_client, make_live_key
    a = TenantA()
    admin = bearer(await make_key())
    structure = await create_structure(client, admin, kind="ACI")
    other_structure = await create_structure(client, admin, **IN_OCCITANIE)
    company = await create_company(client, admin)
    other_company = await create_company(client, admin)
    network_in = await create_network(client, admin, region_codes=["53"])
    network_out = await create_network(client, admin, region_codes=["76"])
    rw = (Scope.read, Scope.write)
    a.keys = {
        "admin": admin,
        "structure_a": bearer(await make_key(Role.structure, rw, structure_id=structure["id"])),
        "structure_b": bearer(
            await make_key(Role.structure, rw, structure_id=other_structure["id"])
        ),
        "company_a": bearer(await make_key(Role.company, rw, company_id=company["id"])),
        "company_b": bearer(await make_key(Role.company, rw, company_id=other_company["id"])),
        "network_in": bearer(await make_key(Role.network, rw, network_id=network_in["id"])),
        "network_out": bearer(await make_key(Role.network, rw, network_id=network_out["id"])),
    }
    own = a.keys["structure_a"]
    person, parcours = await salarie_in_parcours(
        client, own, first_name="Zoé", last_name="Quéméneur-Isolée", birth_date="1970-01-01"
    )
    base = f"/v1/parcours/{parcours['id']}"
    contract = await created(
        await client.post(
            f"{base}/contracts",
            headers=own,
            json={
                "kind": "cddi",
                "start_date": "2024-01-15",
                "end_date": "2024-07-14",
                "weekly_hours": "26",
            },
        )
    )
    put = await client.put(
        f"/v1/contracts/{contract['id']}/hours/2024-02", headers=own, json={"hours": "100"}
    )
    assert put.status_code == 200, put.text
    closed = await client.post(
        f"/v1/structures/{structure['id']}/months/2024-02/close", headers=own
    )
    assert closed.status_code == 200, closed.text  # its export is A's data
    frein = await created(
        await client.post(
            f"{base}/freins", headers=own, json={"kind": "mobilite", "identified_on": "2024-01-20"}
        )
    )
    objective = await created(
        await client.post(
            f"{base}/objectives", headers=own, json={"label": "Permis", "target_date": "2024-09-30"}
        )
    )
    annexe = await created(
        await client.post(
            f"/v1/structures/{structure['id']}/annexes",
            headers=admin,
            json={
                "year": 2024,
                "posts": "10",
                "modulation_rate": "0",
                "start_date": "2024-01-01",
                "end_date": "2024-12-31",
            },
        )
    )
    mission = await created(
        await client.post(
            "/v1/missions", headers=a.keys["company_a"], json=mission_body(structure["id"])
        )
    )
    indicator_objective = await created(
        await client.post(
            "/v1/objectives",
            headers=own,
            json={
                "indicator": "etp_realises",
                "scope_kind": "structure",
                "structure_id": structure["id"],
                "period_start": "2024-01",
                "period_end": "2024-12",
                "target_value": "5",
            },
        )
    )
    subscription = await created(
        await client.post(
            "/v1/webhooks",
            headers=own,
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["contract.created"]},
        )
    )
    profile = await client.put(
        f"/v1/salaries/{person['id']}/asp-profile", headers=own, json=PROFILE
    )
    assert profile.status_code == 200, profile.text
    fiche = await rejected_fiche(client, own, admin, structure)
    batches = f"/v1/structures/{structure['id']}/asp/batches"
    (batch,) = (await client.get(batches, headers=own)).json()["items"]
    me = (await client.get("/v1/keys/me", headers=own)).json()
    a.ids = {
        "structure_id": structure["id"],
        "company_id": company["id"],
        "network_id": network_in["id"],
        "salarie_id": person["id"],
        "parcours_id": parcours["id"],
        "contract_id": contract["id"],
        "frein_id": frein["id"],
        "parcours_objective_id": objective["id"],
        "indicator_objective_id": indicator_objective["id"],
        "annexe_id": annexe["id"],
        "mission_id": mission["id"],
        "key_id": me["id"],
        "subscription_id": subscription["id"],
        "fiche_id": fiche["id"],
        "batch_id": batch["id"],
    }
    a.external_ref = mission["external_ref"]
    a.private = {
        a.ids[name]
        for name in (
            "salarie_id",
            "parcours_id",
            "contract_id",
            "frein_id",
            "parcours_objective_id",
            "annexe_id",
            "key_id",
            "indicator_objective_id",
            "subscription_id",
            "fiche_id",
            "batch_id",
        )
    }
    a.identity = [person["first_name"], person["last_name"], person["birth_date"]]
    return a


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tags: frozenset[str]
    body: Any

    @property
    def names_a_record(self) -> bool:
        return bool(re.search(r"\{[a-z_]*(_id|_ref)\}", self.path)) or _refers_to_records(self.body)


def operations() -> list[Operation]:
    found = []
    for path, item in DOCUMENT["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            found.append(
                Operation(
                    method.upper(),
                    path,
                    operation["operationId"],
                    frozenset(operation.get("tags", [])),
                    _example_body(operation),
                )
            )
    return found


def _example_body(operation: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    if media is None:
        return None
    schema = media["schema"]
    if "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    examples = media.get("examples") or {}
    if examples:
        return next(iter(examples.values()))["value"]
    return copy.deepcopy(schema.get("examples", [{}])[0])


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _refers_to_records(body: Any) -> bool:
    text = orjson.dumps(body).decode() if body is not None else ""
    return bool(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text))


def _aimed_at(body: Any, a: TenantA) -> Any:
    """The example body with every record id in it turned into A's record of that kind."""
    if isinstance(body, dict):
        aimed: dict[str, Any] = {}
        for name, value in body.items():
            if isinstance(value, str) and _UUID.match(value) and name in a.ids:
                aimed[name] = a.ids[name]
            elif name == "member_structure_ids":
                aimed[name] = [a.ids["structure_id"]]
            else:
                aimed[name] = _aimed_at(value, a)
        return aimed
    if isinstance(body, list):
        return [_aimed_at(item, a) for item in body]
    return body


def concrete_path(operation: Operation, a: TenantA) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "objective_id":
            kind = "parcours" if operation.path.startswith("/v1/parcours") else "indicator"
            return a.ids[f"{kind}_objective_id"]
        if name == "code":
            return "etp_realises"
        if name == "month":
            return "2024-02"
        if name == "delivery_id":
            return "1"
        if name == "table":
            return "orienteurs"
        if name == "external_ref":
            return a.external_ref
        return a.ids[name]

    path = re.sub(r"\{([a-z_]+)\}", value, operation.path)
    if operation.method == "GET" and (
        operation.path.startswith("/v1/indicators") or operation.path.endswith("/months")
    ):
        path += "?from=2024-01&to=2024-12"
    return path


def _problem(response: httpx.Response) -> bool:
    media: str = response.headers.get("content-type", "")
    return media.startswith("application/problem+json")


async def test_every_operation_with_every_key_keeps_tenants_apart(
    live_client: httpx.AsyncClient, tenant: TenantA
) -> None:
    a, checked, wrong = tenant, 0, []
    # the operations open to all write: last, so that what they create (a company B
    # mission with A, which lets company B see A) cannot hide a leak elsewhere
    ordered = sorted(operations(), key=lambda o: o.operation_id in OPEN_TO_ALL)
    for operation in ordered:
        path = concrete_path(operation, a)
        body = _aimed_at(operation.body, a)
        for role in ROLES:
            if (
                operation.method != "GET"
                and role in ("admin", "structure_a", *PARTNERS)
                and not (role in PARTNERS and operation.tags & PERSONAL_TAGS)
            ):
                continue  # the owners' writes are the other tests' business: keep A intact
            response = await live_client.request(
                operation.method,
                path,
                headers=a.keys[role] | {"Content-Type": "application/json"},
                content=None if body is None else orjson.dumps(body),
            )
            checked += 1
            status, text = response.status_code, response.text
            where = f"{role} {operation.method} {operation.path} -> {status}"
            if status >= 500:
                wrong.append(f"{where}: a server error")
            if status >= 400 and not _problem(response):
                wrong.append(f"{where}: not problem+json")
            if role in (*PARTNERS, *OUTSIDERS):
                leaked = [part for part in a.identity if part in text]
                if leaked:
                    wrong.append(f"{where}: shows the salarié's identity")
                partner_role = role.startswith(("company", "network"))
                if partner_role and operation.tags & PERSONAL_TAGS and status != 403:
                    wrong.append(f"{where}: personal data is for admin and the structure")
            if role in OUTSIDERS:
                seen = sorted(i for i in a.private | {a.ids["structure_id"]} if i in text)
                if operation.operation_id in OPEN_TO_ALL:
                    pass
                elif operation.names_a_record and status not in (403, 404):
                    wrong.append(f"{where}: reached A's record")
                elif seen and status < 400:
                    wrong.append(f"{where}: lists A's records {seen}")
            if role in ("admin", "structure_a") and operation.method == "GET" and status != 200:
                # admin's registries: keys, the audit log, networks, companies
                registry = operation.path.startswith(ADMIN_REGISTRIES)
                if not (role == "structure_a" and registry and status in (403, 404)):
                    wrong.append(f"{where}: an owner's read failed: {text[:150]}")
    record(
        "tenant isolation",
        operations=len(ordered),
        roles=len(ROLES),
        requests=checked,
        failures=len(wrong),
    )
    assert not wrong, f"{len(wrong)} of {checked} checks failed:\n" + "\n".join(wrong)
