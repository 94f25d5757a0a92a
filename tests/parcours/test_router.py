import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from app.keys.service import issue_demo_admin_in
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from tests.support.databases import fresh_database
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    CDDI,
    create_salarie,
    create_structure,
    record_diagnostic,
    salarie_in_parcours,
)


async def sign(
    client: httpx.AsyncClient, headers: dict[str, str], parcours: dict[str, Any], **terms: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/parcours/{parcours['id']}/contracts", headers=headers, json=CDDI | terms
    )


async def test_eligibility_is_checked_on_entry(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    two_level_2 = await create_salarie(
        client, own, criteria=["jeune_moins_26_ans", "faible_qualification"]
    )
    without_diagnostic = await client.post(
        "/v1/parcours",
        headers=own,
        json={"salarie_id": two_level_2["id"], "entry_date": "2024-01-15"},
    )
    assert without_diagnostic.status_code == 422
    [missing] = without_diagnostic.json()["violations"]
    assert missing["code"] == "eligibility_diagnostic_missing"
    refused = await client.post(
        f"/v1/salaries/{two_level_2['id']}/diagnostics",
        headers=own,
        json={
            "made_on": "2024-01-05",
            "author": "prescripteur",
            "criteria": [
                {"criterion": "jeune_moins_26_ans", "certified": False},
                {"criterion": "faible_qualification", "certified": False},
            ],
        },
    )
    assert refused.status_code == 422
    [violation] = refused.json()["violations"]
    assert violation["code"] == "eligibility_insufficient"
    assert violation["severity"] == "blocking"
    assert violation["values"] == {"level_2_criteria": "2", "required": "3"}


async def test_one_parcours_at_a_time_and_the_exit_is_recorded_once(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person, parcours = await salarie_in_parcours(client, own)
    again = await client.post(
        "/v1/parcours", headers=own, json={"salarie_id": person["id"], "entry_date": "2024-02-01"}
    )
    assert again.status_code == 409
    url = f"/v1/parcours/{parcours['id']}/exit"
    before_entry = await client.post(
        url, headers=own, json={"exit_date": "2024-01-01", "motif": "cdi"}
    )
    assert before_entry.status_code == 422
    exited = await client.post(
        url, headers=own, json={"exit_date": "2024-09-30", "motif": "formation_qualifiante"}
    )
    assert exited.status_code == 200
    assert exited.json()["status"] == "sorti"
    assert exited.json()["exit_category"] == "sortie_positive"
    twice = await client.post(url, headers=own, json={"exit_date": "2024-10-30", "motif": "cdi"})
    assert twice.status_code == 409
    closed = await sign(client, own, parcours)
    assert closed.status_code == 409
    await record_diagnostic(client, own, person, "2024-12-20")  # a new one, for the new hire
    reopened = await client.post(
        "/v1/parcours", headers=own, json={"salarie_id": person["id"], "entry_date": "2025-01-01"}
    )
    assert reopened.status_code == 201


async def test_a_contract_breaking_rules_is_refused_with_every_violation(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    _, parcours = await salarie_in_parcours(client, own)
    response = await sign(client, own, parcours, end_date="2024-05-13", weekly_hours="19.5")
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/rules-broken")
    assert {v["code"] for v in problem["violations"]} == {"cddi_too_short", "weekly_hours_too_low"}
    assert all(v["article"] and v["rule"] for v in problem["violations"])
    listed = await client.get(f"/v1/parcours/{parcours['id']}/contracts", headers=own)
    assert listed.json()["items"] == []  # nothing half-written


async def test_warnings_are_kept_and_shown(client: httpx.AsyncClient, own: dict[str, str]) -> None:
    _, parcours = await salarie_in_parcours(
        client, own, pass_start="2022-03-01", entry="2024-01-15"
    )
    response = await sign(client, own, parcours, end_date="2024-12-31")
    assert response.status_code == 201, response.text
    assert [w["code"] for w in response.json()["warnings"]] == ["contract_ends_after_pass_iae"]
    read = await client.get(f"/v1/contracts/{response.json()['id']}", headers=own)
    assert read.json()["warnings"][0]["severity"] == "warning"


async def test_renewals_count_towards_24_months_and_keep_their_history(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    _, parcours = await salarie_in_parcours(client, own, pass_start="2024-01-01")
    contract = (await sign(client, own, parcours)).json()
    url = f"/v1/contracts/{contract['id']}/amendments"
    renewed = await client.post(
        url, headers=own, json={"signed_on": "2024-07-01", "end_date": "2025-12-31"}
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["end_date"] == "2025-12-31"
    too_far = await client.post(
        url, headers=own, json={"signed_on": "2025-12-01", "end_date": "2026-01-15"}
    )
    assert too_far.status_code == 422
    blocking = [v["code"] for v in too_far.json()["violations"] if v["severity"] == "blocking"]
    assert blocking == ["cddi_too_long"]
    exactly = await client.post(
        url, headers=own, json={"signed_on": "2025-12-01", "end_date": "2026-01-14"}
    )
    assert exactly.status_code == 200
    history = [(a["previous_end_date"], a["new_end_date"]) for a in exactly.json()["amendments"]]
    assert history == [("2024-07-14", "2025-12-31"), ("2025-12-31", "2026-01-14")]


async def test_a_derogation_lets_a_cddi_run_beyond_24_months(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    _, parcours = await salarie_in_parcours(
        client, own, birth_date="1970-01-01", pass_start="2024-01-01"
    )
    # the PASS IAE ends 2025-12-30: prolong it first
    prolonged = await client.post(
        f"/v1/salaries/{parcours['salarie_id']}/pass-iae/adjustments",
        headers=own,
        json={
            "kind": "prolongation",
            "reason": "senior_50_ans_ou_plus",
            "start_date": "2025-12-31",
            "end_date": "2026-12-30",
        },
    )
    assert prolonged.status_code == 201
    refused = await sign(client, own, parcours, end_date="2026-06-30")
    assert refused.status_code == 422, refused.text
    blocking = [v["code"] for v in refused.json()["violations"] if v["severity"] == "blocking"]
    assert blocking == ["cddi_too_long"]

    derogation = await client.post(
        f"/v1/parcours/{parcours['id']}/derogations",
        headers=own,
        json={
            "kind": "senior_50_ans_ou_plus",
            "start_date": "2025-12-01",
            "end_date": "2028-12-31",
        },
    )
    assert derogation.status_code == 201, derogation.text
    response = await sign(client, own, parcours, end_date="2026-06-30")
    assert response.status_code == 201, response.text


async def test_derogations_are_checked(client: httpx.AsyncClient, own: dict[str, str]) -> None:
    _, parcours = await salarie_in_parcours(client, own)
    url = f"/v1/parcours/{parcours['id']}/derogations"
    too_young = await client.post(
        url,
        headers=own,
        json={
            "kind": "senior_50_ans_ou_plus",
            "start_date": "2025-01-01",
            "end_date": "2026-01-01",
        },
    )
    assert too_young.status_code == 422
    assert too_young.json()["violations"][0]["code"] == "derogation_senior_too_young"
    prefet = await client.post(
        url,
        headers=own,
        json={"kind": "moins_20h_prefet", "start_date": "2024-01-15", "end_date": "2024-07-14"},
    )
    assert prefet.status_code == 201
    under_20 = await sign(client, own, parcours, weekly_hours="15")
    assert under_20.status_code == 201, under_20.text
    listed = await client.get(url, headers=own)
    assert [d["kind"] for d in listed.json()["items"]] == ["moins_20h_prefet"]


async def test_contract_kind_must_fit_and_contracts_cannot_overlap(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    _, parcours = await salarie_in_parcours(client, own)
    ctti = await sign(client, own, parcours, kind="ctti")
    assert [v["code"] for v in ctti.json()["violations"]] == ["contract_kind_not_allowed"]
    assert (await sign(client, own, parcours)).status_code == 201
    overlapping = await sign(client, own, parcours, start_date="2024-07-14", end_date="2024-12-31")
    assert [v["code"] for v in overlapping.json()["violations"]] == ["contracts_overlap"]


async def test_validate_is_a_dry_run_of_the_same_check(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    _, parcours = await salarie_in_parcours(client, own)
    bad = await client.post(
        "/v1/contracts/validate",
        headers=own,
        json=CDDI | {"parcours_id": parcours["id"], "end_date": "2024-03-01"},
    )
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert bad.json()["violations"][0]["code"] == "cddi_too_short"
    good = await client.post(
        "/v1/contracts/validate", headers=own, json=CDDI | {"parcours_id": parcours["id"]}
    )
    assert good.json() == {"valid": True, "violations": []}
    assert (await client.get(f"/v1/parcours/{parcours['id']}/contracts", headers=own)).json()[
        "items"
    ] == []


async def test_hours_are_idempotent_and_bounded(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    _, parcours = await salarie_in_parcours(client, own)
    contract = (await sign(client, own, parcours)).json()
    url = f"/v1/contracts/{contract['id']}/hours"
    for _ in range(2):
        response = await client.put(f"{url}/2024-02", headers=own, json={"hours": "112.5"})
        assert response.status_code == 200, response.text
    assert response.json() == {"contract_id": contract["id"], "month": "2024-02", "hours": "112.50"}
    changed = await client.put(f"{url}/2024-02", headers=own, json={"hours": "100"})
    assert changed.json()["hours"] == "100.00"
    listed = await client.get(url, headers=own)
    assert [(h["month"], h["hours"]) for h in listed.json()["items"]] == [("2024-02", "100.00")]
    outside = await client.put(f"{url}/2024-08", headers=own, json={"hours": "10"})
    assert outside.json()["violations"][0]["code"] == "month_outside_contract"
    too_many = await client.put(f"{url}/2024-03", headers=own, json={"hours": "213"})
    assert too_many.json()["violations"][0]["code"] == "hours_over_legal_maximum"
    malformed = await client.put(f"{url}/2024-13", headers=own, json={"hours": "1"})
    assert malformed.status_code == 422


async def test_accompaniment(client: httpx.AsyncClient, own: dict[str, str]) -> None:
    _, parcours = await salarie_in_parcours(client, own)
    base = f"/v1/parcours/{parcours['id']}"
    action = await client.post(
        f"{base}/actions",
        headers=own,
        json={"kind": "entretien", "done_on": "2024-02-01", "duration_minutes": 45},
    )
    assert action.status_code == 201
    frein = (
        await client.post(
            f"{base}/freins", headers=own, json={"kind": "mobilite", "identified_on": "2024-01-20"}
        )
    ).json()
    lifted = await client.patch(
        f"{base}/freins/{frein['id']}", headers=own, json={"lifted_on": "2024-04-02"}
    )
    assert lifted.json()["lifted_on"] == "2024-04-02"
    objective = (
        await client.post(
            f"{base}/objectives",
            headers=own,
            json={"label": "Permis B", "target_date": "2024-09-30"},
        )
    ).json()
    reached = await client.patch(
        f"{base}/objectives/{objective['id']}", headers=own, json={"reached_on": "2024-09-12"}
    )
    assert reached.json()["reached_on"] == "2024-09-12"
    for kind in ("actions", "freins", "objectives"):
        assert len((await client.get(f"{base}/{kind}", headers=own)).json()["items"]) == 1
    unknown = await client.patch(
        f"{base}/freins/{uuid.uuid4()}", headers=own, json={"lifted_on": None}
    )
    assert unknown.status_code == 404
    bad = await client.post(
        f"{base}/actions",
        headers=own,
        json={"kind": "sieste", "done_on": "2024-02-01", "duration_minutes": 0},
    )
    assert bad.status_code == 422


async def test_parcours_access_by_role(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    person, parcours = await salarie_in_parcours(client, own)
    contract = (await sign(client, own, parcours)).json()
    other = await create_structure(client, admin_headers)
    stranger = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=other["id"])
    )
    company = bearer(
        await make_key(Role.company, (Scope.read, Scope.write), company_id=uuid.uuid4())
    )
    network = bearer(await make_key(Role.network, (Scope.read,), network_id=uuid.uuid4()))
    paths = [
        f"/v1/parcours/{parcours['id']}",
        f"/v1/parcours/{parcours['id']}/contracts",
        f"/v1/parcours/{parcours['id']}/actions",
        f"/v1/contracts/{contract['id']}",
        f"/v1/contracts/{contract['id']}/hours",
    ]
    for path in paths:
        assert (await client.get(path, headers=admin_headers)).status_code == 200, path
        assert (await client.get(path, headers=own)).status_code == 200, path
        assert (await client.get(path, headers=stranger)).status_code == 404, path
        for key in (company, network):
            response = await client.get(path, headers=key)
            assert response.status_code == 403, path
            assert person["last_name"] not in response.text
    assert (await client.get("/v1/parcours", headers=stranger)).json()["items"] == []
    assert (
        await sign(client, stranger, parcours, start_date="2025-01-01", end_date="2025-06-30")
    ).status_code == 404


@pytest.fixture
def own_database() -> Iterator[str]:
    """A migrated database of the test's own: what it commits stays out of the others'."""
    with fresh_database() as url:
        upgrade_to_head(url)
        yield url


async def test_an_avenant_read_on_the_pool_keeps_its_id(
    own_database: str, settings: Settings
) -> None:
    """The pool decodes UUIDs as text, which asyncpg cannot apply inside a row value:
    an avenant's id, read in the contract's array of rows, came out garbled (or as a
    500 when its bytes were not UTF-8)."""
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://jalon.test") as live_client,
    ):
        await _amend_and_read(live_client, own_database)


async def _amend_and_read(live_client: httpx.AsyncClient, url: str) -> None:
    created, _ = await issue_demo_admin_in(url)
    admin = bearer(created.secret)
    structure = await create_structure(live_client, admin, kind="ACI")
    key = await live_client.post(
        "/v1/keys",
        headers=admin,
        json={
            "name": "HRIS",
            "role": "structure",
            "scopes": ["read", "write"],
            "structure_id": structure["id"],
        },
    )
    assert key.status_code == 201, key.text
    own = bearer(key.json()["secret"])
    _, parcours = await salarie_in_parcours(live_client, own, pass_start="2024-01-01")
    contract = (await sign(live_client, own, parcours)).json()
    amended = await live_client.post(
        f"/v1/contracts/{contract['id']}/amendments",
        headers=own,
        json={"signed_on": "2024-07-01", "end_date": "2024-12-31"},
    )
    assert amended.status_code == 200, amended.text
    read = await live_client.get(f"/v1/contracts/{contract['id']}", headers=own)
    assert read.status_code == 200, read.text
    (avenant,) = read.json()["amendments"]
    assert str(uuid.UUID(avenant["id"])) == avenant["id"]
    assert [a["id"] for a in amended.json()["amendments"]] == [avenant["id"]]


async def test_cdi_inclusion_posts_stay_within_the_share_of_the_annexe(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    admin_headers: dict[str, str],
) -> None:
    _, parcours = await salarie_in_parcours(
        client, own, birth_date="1960-01-01", pass_start="2024-01-01", entry="2024-01-15"
    )
    cdi = {"kind": "cdi_inclusion", "start_date": "2025-01-15", "weekly_hours": "35"}
    no_annexe = await client.post(f"/v1/parcours/{parcours['id']}/contracts", headers=own, json=cdi)
    assert no_annexe.status_code == 422
    [violation] = no_annexe.json()["violations"]
    assert violation["code"] == "cdi_inclusion_share_exceeded"
    assert (violation["values"]["etp_conventionnes"], violation["values"]["posts_etp"]) == (
        "0",
        "1.00",
    )
    annexes = f"/v1/structures/{structure['id']}/annexes"
    annexe = await client.post(
        annexes,
        headers=admin_headers,
        json={
            "year": 2025,
            "posts": "4.00",
            "modulation_rate": "0",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
        },
    )
    assert annexe.status_code == 201, annexe.text
    assert annexe.json()["prefet_cdi_inclusion_share"] is False
    still = await client.post(f"/v1/parcours/{parcours['id']}/contracts", headers=own, json=cdi)
    assert [v["code"] for v in still.json()["violations"]] == ["cdi_inclusion_share_exceeded"]
    raised = await client.patch(
        f"{annexes}/{annexe.json()['id']}",
        headers=admin_headers,
        json={"prefet_cdi_inclusion_share": True},
    )
    assert raised.status_code == 200, raised.text
    signed = await client.post(f"/v1/parcours/{parcours['id']}/contracts", headers=own, json=cdi)
    assert signed.status_code == 201, signed.text  # 1 ETP of 4 x 30 %
