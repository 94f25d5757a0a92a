"""The contract works first time with a generator nobody here wrote.

A Python client is generated from openapi/openapi.json with openapi-python-client; the
generator must print nothing but its success. A connector's whole day then runs through
that client, with no raw HTTP: an admin sets up a structure, a company and a network;
the HRIS takes a salarié from hire to exit, with a refused contract; the ERP creates,
upserts, sends batches as JSON and NDJSON, retries with an Idempotency-Key, pages to the
end and syncs by delta; the network reads an indicator; a webhook delivery is verified
with standardwebhooks and parsed by the generated event model. Every answer must parse
into the type the contract declares for its status."""

import importlib
import io
import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.databases import fresh_database
from tests.support.generated_client import Operations, generate, models
from tests.support.receiver import Receiver, receiver
from tests.support.records import mission_body, new_nir, new_siret, structure_body
from tests.support.server import RunningServer, jalon_server


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    return generate(folder)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with (
        fresh_database() as url,
        jalon_server(
            url.replace("+asyncpg", ""),
            JALON_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
            JALON_WEBHOOK_POLL_SECONDS="0.1",
        ) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def test_the_generator_prints_nothing_but_success(generated: tuple[str, ModuleType]) -> None:
    output, _ = generated
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Generating "), output


class Connector:
    """The generated client, with each answer checked against its declared type."""

    def __init__(self, package: ModuleType, server: RunningServer, secret: str) -> None:
        self.api = Operations(package)
        self.m = models(package)
        self.types = importlib.import_module(f"{package.__name__}.types")
        self.client = package.AuthenticatedClient(base_url=server.base_url, token=secret)

    def call(self, operation: ModuleType, status: int, *args: Any, **kwargs: Any) -> Any:
        response = operation.sync_detailed(*args, client=self.client, **kwargs)
        assert response.status_code == status, response.content
        assert response.parsed is not None, (operation.__name__, response.content)
        return response.parsed


def test_a_connectors_day_through_the_generated_client(
    generated: tuple[str, ModuleType], server: RunningServer, hook: Receiver
) -> None:
    _, package = generated
    admin = Connector(package, server, server.admin_secret)
    m, api = admin.m, admin.api

    # admin set-up: a structure, a company, a network, and their keys
    structure = admin.call(
        api.structures.create_structure, 201, body=m.StructureCreate.from_dict(structure_body())
    )
    company = admin.call(
        api.companies.create_company,
        201,
        body=m.CompanyCreate.from_dict(
            {"siret": new_siret(), "name": "Transports Kerjean", "size": "PME", "region_code": "53"}
        ),
    )
    network = admin.call(
        api.networks.create_network,
        201,
        body=m.NetworkCreate.from_dict({"name": f"Réseau {uuid.uuid4().hex[:6]}"}),
    )
    admin.call(
        api.networks.add_network_member,
        200,
        network.id,
        body=m.MemberAdd.from_dict({"structure_id": str(structure.id)}),
    )

    def key(role: str, **binding: str) -> Connector:
        created = admin.call(
            api.keys.create_key,
            201,
            body=m.KeyCreate.from_dict(
                {"name": f"{role} connector", "role": role, "scopes": ["read", "write"], **binding}
            ),
        )
        assert isinstance(created, m.KeyCreated)
        return Connector(package, server, created.secret)

    hris = key("structure", structure_id=str(structure.id))
    erp = key("company", company_id=str(company.id))
    federation = key("network", network_id=str(network.id))

    _hris_flow(hris, m)
    _erp_flow(erp, m, structure.id, hook)
    values = federation.call(
        api.indicators.read_indicator_values,
        200,
        m.ReadIndicatorValuesCode.SALARIES_ACCOMPAGNES,
        from_="2024-01",
        to="2024-12",
    )
    assert isinstance(values, m.IndicatorValues)


def _hris_flow(hris: Connector, m: ModuleType) -> None:
    api = hris.api
    person = hris.call(
        api.salaries.create_salarie,
        201,
        body=m.SalarieCreate.from_dict(
            {
                "first_name": "Maëlle",
                "last_name": "Le Goff",
                "birth_date": "1991-04-12",
                "gender": "femme",
                "nir": new_nir(),
                "criteria": ["rsa"],
            }
        ),
    )
    hris.call(
        api.salaries.set_pass_iae,
        200,
        person.id,
        body=m.PassIaeSet.from_dict(
            {"number": f"99999{uuid.uuid4().int % 10**7:07d}", "start_date": "2024-01-01"}
        ),
    )
    hris.call(
        api.salaries.create_diagnostic,
        201,
        person.id,
        body=m.DiagnosticCreate.from_dict(
            {
                "made_on": "2024-01-05",
                "author": "prescripteur",
                "criteria": [{"criterion": "rsa", "certified": True}],
            }
        ),
    )
    parcours = hris.call(
        api.parcours.open_parcours,
        201,
        body=m.ParcoursCreate.from_dict({"salarie_id": str(person.id), "entry_date": "2024-01-15"}),
    )
    cddi = {"kind": "cddi", "start_date": "2024-01-15", "weekly_hours": "26"}
    refused = hris.call(
        api.contracts.create_contract,
        422,
        parcours.id,
        body=m.ContractCreate.from_dict(cddi | {"end_date": "2024-02-15"}),
    )
    assert refused.type_.endswith("/rules-broken")
    assert [v.code for v in refused.violations] == ["cddi_too_short"]
    assert refused.violations[0].severity == m.Severity.BLOCKING
    contract = hris.call(
        api.contracts.create_contract,
        201,
        parcours.id,
        body=m.ContractCreate.from_dict(cddi | {"end_date": "2024-07-14"}),
    )
    hours = hris.call(
        api.contracts.set_contract_hours,
        200,
        contract.id,
        "2024-02",
        body=m.HoursSet.from_dict({"hours": "112.50"}),
    )
    assert hours.hours == "112.50"
    exited = hris.call(
        api.parcours.record_exit,
        200,
        parcours.id,
        body=m.ExitCreate.from_dict({"exit_date": "2024-07-14", "motif": "cdi"}),
    )
    assert exited.status == m.ParcoursStatus.SORTI


def _erp_flow(erp: Connector, m: ModuleType, structure_id: uuid.UUID, hook: Receiver) -> None:
    api = erp.api
    subscription = erp.call(
        api.webhooks.create_subscription,
        201,
        body=m.SubscriptionCreate.from_dict({"url": hook.url, "event_types": ["mission.created"]}),
    )
    since = time.time()
    mission = m.MissionCreate.from_dict(mission_body(str(structure_id)))
    created = erp.call(api.missions.create_mission, 201, body=mission)
    assert created.amount_ht == "48500.00"
    assert created.social_clause is None or isinstance(created.social_clause, m.SocialClause)

    # upsert by reference, twice: the second changes nothing
    terms = m.MissionInput.from_dict(
        mission_body(str(structure_id), external_ref="ignored") | {"title": "Débroussaillage"}
    )
    first = erp.call(api.missions.upsert_mission, 201, "ERP-7", body=terms)
    again = erp.call(api.missions.upsert_mission, 200, "ERP-7", body=terms)
    assert (again.id, again.updated_at) == (first.id, first.updated_at)

    # a batch as JSON, partial: the valid item written, the other answered with its problem
    twice = mission_body(str(structure_id))
    report = erp.call(
        api.missions.bulk_missions,
        200,
        body=[m.MissionCreate.from_dict(twice), m.MissionCreate.from_dict(twice)],
        mode=m.BulkMissionsMode.PARTIAL,
    )
    assert (report.counts.created, report.counts.error) == (1, 1)
    assert "already in the batch" in report.items[1].problem.detail
    # as NDJSON, atomic, with an invalid line: a batch-rejected problem with the report
    lines = [mission_body(str(structure_id)), mission_body(str(structure_id), kind="nope")]
    ndjson = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    problem = erp.call(
        api.missions.bulk_missions_ndjson, 422, body=erp.types.File(payload=io.BytesIO(ndjson))
    )
    assert isinstance(problem, m.BatchProblem)
    assert problem.type_.endswith("/batch-rejected")
    assert [item.outcome for item in problem.items] == [
        m.BulkItemResultOutcome.CREATED,
        m.BulkItemResultOutcome.ERROR,
    ]
    assert problem.items[1].problem.errors[0].pointer == "/1/kind"

    # an idempotent retry: the first answer, replayed; then the key reused elsewhere
    retry = str(uuid.uuid4())
    body = m.MissionCreate.from_dict(mission_body(str(structure_id)))
    one = erp.call(api.missions.create_mission, 201, body=body, idempotency_key=retry)
    response = api.missions.create_mission.sync_detailed(
        client=erp.client, body=body, idempotency_key=retry
    )
    assert response.status_code == 201
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.parsed.id == one.id
    other = m.MissionCreate.from_dict(mission_body(str(structure_id)))
    reused = erp.call(api.missions.create_mission, 422, body=other, idempotency_key=retry)
    assert reused.type_.endswith("/idempotency-key-reused")

    # paging to the end, two at a time, then a delta sync
    seen: list[uuid.UUID] = []
    cursor: Any = None
    while True:
        page = erp.call(
            api.missions.list_missions, 200, limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [item.id for item in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 4  # created, ERP-7, one from the batch, one retried
    read = api.missions.read_mission.sync_detailed(one.id, client=erp.client)
    changed = erp.call(
        api.missions.update_mission,
        200,
        one.id,
        body=m.MissionUpdate.from_dict({"title": "Tonte"}),
        if_match=read.headers["ETag"],
    )
    delta = erp.call(api.missions.list_missions, 200, updated_since=changed.updated_at)
    assert [item.id for item in delta.items] == [one.id]

    # the webhook of the first creation, among the others: each verified, then parsed
    webhook = Webhook(subscription.secret)

    def delivered() -> list[Any]:
        return [
            m.MissionCreatedEvent.from_dict(webhook.verify(r.body, r.headers))
            for r in list(hook.received)
        ]

    deadline = time.monotonic() + 30
    while created.id not in {e.data.mission_id for e in delivered()}:
        assert time.monotonic() < deadline, f"no delivery for {created.id}: {delivered()}"
        time.sleep(0.1)
    event = next(e for e in delivered() if e.data.mission_id == created.id)
    assert event.data.external_ref == created.external_ref
    assert event.timestamp.timestamp() >= since - 5
