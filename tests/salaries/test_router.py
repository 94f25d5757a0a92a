import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.problems import pointers
from tests.support.records import create_salarie, create_structure, new_nir, salarie_body


async def test_a_structure_registers_its_salarie_and_the_nir_is_never_returned(
    client: httpx.AsyncClient, own: dict[str, str], structure: dict[str, Any]
) -> None:
    nir = new_nir()
    response = await client.post("/v1/salaries", headers=own, json=salarie_body(nir=nir))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["structure_id"] == structure["id"]
    assert body["has_nir"] is True
    assert nir not in response.text
    assert "nir" not in body
    read = await client.get(f"/v1/salaries/{body['id']}", headers=own)
    assert nir not in read.text


async def test_duplicates_within_a_structure_are_409(
    client: httpx.AsyncClient, own: dict[str, str], admin_headers: dict[str, str]
) -> None:
    nir = new_nir()
    first = await create_salarie(client, own, nir=nir)
    same_nir = await client.post(
        "/v1/salaries", headers=own, json=salarie_body(nir=nir, last_name="Autre")
    )
    assert same_nir.status_code == 409
    assert same_nir.json()["existing_salarie_id"] == first["id"]
    same_person = await client.post(
        "/v1/salaries", headers=own, json=salarie_body(last_name=first["last_name"].upper())
    )
    assert same_person.status_code == 409
    elsewhere = await create_structure(client, admin_headers)
    other = await client.post(
        "/v1/salaries",
        headers=admin_headers,
        json=salarie_body(nir=nir, structure_id=elsewhere["id"]),
    )
    assert other.status_code == 201  # duplicates are detected within a structure


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nir", "123456789012345"),
        ("birth_date", "2999-01-01"),
        ("gender", "autre"),
        ("criteria", ["rsa", "licorne"]),
        ("commune_code", "ABCDE"),
    ],
)
async def test_bad_salarie_input_is_named(
    client: httpx.AsyncClient, own: dict[str, str], field: str, value: object
) -> None:
    response = await client.post("/v1/salaries", headers=own, json=salarie_body(**{field: value}))
    assert response.status_code == 422
    assert any(pointer.startswith(f"/body/{field}") for pointer in pointers(response))


def day(offset: int) -> str:
    return (dt.date.today() + dt.timedelta(days=offset)).isoformat()


def after(day_text: str, days: int) -> str:
    return (dt.date.fromisoformat(day_text) + dt.timedelta(days=days)).isoformat()


async def adjust(
    client: httpx.AsyncClient, own: dict[str, str], url: str, **body: str
) -> httpx.Response:
    return await client.post(f"{url}/adjustments", headers=own, json=body)


async def test_pass_iae_runs_730_days_and_moves_with_its_adjustments(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    assert (await client.get(url, headers=own)).status_code == 404
    start = day(-100)
    created = await client.put(
        url, headers=own, json={"number": "999992412345", "start_date": start}
    )
    assert created.json()["end_date"] == after(start, 729)
    suspended = await adjust(
        client,
        own,
        url,
        kind="suspension",
        reason="arret_maladie",
        start_date=day(-30),
        end_date=after(day(-30), 30),
    )
    assert suspended.status_code == 201, suspended.text
    assert suspended.json()["end_date"] == after(start, 729 + 31)
    moved = await client.put(
        url, headers=own, json={"number": "999992412345", "start_date": after(start, 1)}
    )
    assert moved.json()["end_date"] == after(start, 1 + 729 + 31)  # the suspension still counts
    assert len(moved.json()["adjustments"]) == 1


async def test_a_20_month_suspension_is_accepted(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    await client.put(url, headers=own, json={"number": "999992412346", "start_date": day(-200)})
    suspended = await adjust(
        client,
        own,
        url,
        kind="suspension",
        reason="incarceration",
        start_date=day(-10),
        end_date=after(day(-10), 20 * 30),
    )
    assert suspended.status_code == 201, suspended.text
    assert suspended.json()["end_date"] == after(day(-200), 729 + 601)


async def test_a_fourth_rqth_prolongation_is_refused_and_kept_with_its_reasons(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    current = (
        await client.put(url, headers=own, json={"number": "999992412347", "start_date": day(-700)})
    ).json()
    for _ in range(3):
        start = after(current["end_date"], 1)
        answer = await adjust(
            client,
            own,
            url,
            kind="prolongation",
            reason="rqth",
            start_date=start,
            end_date=after(start, 364),
        )
        assert answer.status_code == 201, answer.text
        current = answer.json()
    start = after(current["end_date"], 1)
    refused = await adjust(
        client,
        own,
        url,
        kind="prolongation",
        reason="rqth",
        start_date=start,
        end_date=after(start, 364),
    )
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/rules-broken")
    assert [v["code"] for v in refused.json()["violations"]] == ["pass_prolongation_total_exceeded"]
    assert "kept as refused request" in refused.json()["detail"]
    read = (await client.get(url, headers=own)).json()
    assert read["end_date"] == current["end_date"]  # the refusal moved nothing
    assert len(read["adjustments"]) == 3
    [kept] = read["refused"]
    assert (kept["reason"], kept["start_date"]) == ("rqth", start)
    assert kept["violations"] == refused.json()["violations"]


async def test_a_50_or_older_prolongation_is_refused_for_a_person_of_36(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    born = (dt.date.today() - dt.timedelta(days=36 * 366)).isoformat()
    person = await create_salarie(client, own, birth_date=born)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    current = (
        await client.put(url, headers=own, json={"number": "999992412348", "start_date": day(-700)})
    ).json()
    start = after(current["end_date"], 1)
    refused = await adjust(
        client,
        own,
        url,
        kind="prolongation",
        reason="senior_50_ans_ou_plus",
        start_date=start,
        end_date=after(start, 100),
    )
    assert refused.status_code == 422
    [violation] = refused.json()["violations"]
    assert (violation["code"], violation["values"]["age"]) == ("pass_prolongation_age", "36")
    assert violation["article"] == "R5132-1-8"


async def test_pseudonymisation_removes_the_refused_requests(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    """A refusal's reasons may hold what the birth date gave (an age)."""
    born = (dt.date.today() - dt.timedelta(days=36 * 366)).isoformat()
    person = await create_salarie(client, own, birth_date=born)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    current = (
        await client.put(url, headers=own, json={"number": "999992412352", "start_date": day(-700)})
    ).json()
    start = after(current["end_date"], 1)
    refused = await adjust(
        client,
        own,
        url,
        kind="prolongation",
        reason="senior_50_ans_ou_plus",
        start_date=start,
        end_date=after(start, 100),
    )
    assert refused.status_code == 422
    assert len((await client.get(url, headers=own)).json()["refused"]) == 1
    gone = await client.delete(f"/v1/salaries/{person['id']}", headers=own)
    assert gone.status_code == 204, gone.text
    assert (await client.get(url, headers=own)).json()["refused"] == []


async def test_a_bad_adjustment_request_is_not_kept(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    """Only a request the rules refuse is kept; one that is not a request at all (a
    field missing, a motive unknown) leaves nothing."""
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    await client.put(url, headers=own, json={"number": "999992412349", "start_date": day(-10)})
    unknown = await adjust(
        client, own, url, kind="suspension", reason="vacances", start_date=day(-1), end_date=day(0)
    )
    assert unknown.status_code == 422
    assert (await client.get(url, headers=own)).json()["refused"] == []


async def test_a_new_pass_iae_waits_two_years_unless_a_prescriber_orients(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/pass-iae"
    first = await client.put(
        url, headers=own, json={"number": "999992412350", "start_date": day(-900)}
    )
    suspended = await adjust(
        client,
        own,
        url,
        kind="suspension",
        reason="arret_maladie",
        start_date=day(-300),
        end_date=day(-291),
    )
    assert suspended.status_code == 201
    assert first.json()["end_date"] < day(0)
    again = {"number": "999992412351", "start_date": day(0)}
    waiting = await client.put(url, headers=own, json=again)
    assert waiting.status_code == 422
    assert [v["code"] for v in waiting.json()["violations"]] == ["pass_iae_wait"]
    oriented = await client.put(url, headers=own, json=again | {"prescriber_orientation": True})
    assert oriented.status_code == 200, oriented.text
    renewed = oriented.json()
    assert renewed["prescriber_orientation"] is True
    assert renewed["end_date"] == after(day(0), 729)  # the earlier PASS's suspension is gone
    assert renewed["adjustments"] == []


async def test_salarie_access_by_role(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    person = await create_salarie(client, own)
    other_structure = await create_structure(client, admin_headers)
    stranger = bearer(
        await make_key(
            Role.structure, (Scope.read, Scope.write), structure_id=other_structure["id"]
        )
    )
    company = bearer(
        await make_key(Role.company, (Scope.read, Scope.write), company_id=uuid.uuid4())
    )
    network = bearer(await make_key(Role.network, (Scope.read,), network_id=uuid.uuid4()))
    url = f"/v1/salaries/{person['id']}"

    assert (await client.get(url, headers=admin_headers)).status_code == 200
    assert (await client.get(url, headers=own)).status_code == 200
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.get("/v1/salaries", headers=stranger)).json()["items"] == []
    for key in (company, network):
        for method, path in [
            ("GET", url),
            ("GET", "/v1/salaries"),
            ("GET", f"{url}/pass-iae"),
            ("PATCH", url),
        ]:
            response = await client.request(
                method, path, headers=key, json={} if method == "PATCH" else None
            )
            assert response.status_code == 403, (method, path)
            assert person["last_name"] not in response.text
    assert (await client.patch(url, headers=stranger, json={"first_name": "x"})).status_code == 404
    wrong_structure = await client.post(
        "/v1/salaries", headers=own, json=salarie_body(structure_id=other_structure["id"])
    )
    assert wrong_structure.status_code == 403
    admin_without_structure = await client.post(
        "/v1/salaries", headers=admin_headers, json=salarie_body()
    )
    assert admin_without_structure.status_code == 422


async def test_patch_salarie_with_etag(client: httpx.AsyncClient, own: dict[str, str]) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}"
    updated = await client.patch(
        url, headers=own | {"If-Match": '"1"'}, json={"criteria": ["rqth", "rsa"]}
    )
    assert updated.status_code == 200
    assert updated.json()["criteria"] == ["rqth", "rsa"]
    stale = await client.patch(url, headers=own | {"If-Match": '"1"'}, json={"first_name": "Anne"})
    assert stale.status_code == 412
    with_nir = await client.patch(url, headers=own, json={"nir": new_nir()})
    assert with_nir.json()["has_nir"] is True


async def test_a_diagnostic_opens_the_parcours_within_its_validity(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own, criteria=[])
    url = f"/v1/salaries/{person['id']}/diagnostics"
    made = await client.post(
        url,
        headers=own,
        json={
            "made_on": day(-100),
            "author": "siae",
            "criteria": [{"criterion": "rsa", "certified": True}],
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["valid_until"] == after(day(-100), 91)
    assert made.json()["criteria"] == [{"criterion": "rsa", "certified": True}]

    def opening(entry: str) -> dict[str, str]:
        return {"salarie_id": person["id"], "entry_date": entry}

    late = await client.post("/v1/parcours", headers=own, json=opening(after(day(-100), 92)))
    assert late.status_code == 422
    [violation] = late.json()["violations"]
    assert violation["code"] == "eligibility_diagnostic_expired"
    assert violation["values"]["valid_until"] == after(day(-100), 91)
    early = await client.post("/v1/parcours", headers=own, json=opening(day(-101)))
    assert [v["code"] for v in early.json()["violations"]] == ["eligibility_diagnostic_missing"]
    on_time = await client.post("/v1/parcours", headers=own, json=opening(after(day(-100), 91)))
    assert on_time.status_code == 201, on_time.text

    listed = (await client.get(url, headers=own, params={"limit": 1})).json()
    assert [d["id"] for d in listed["items"]] == [made.json()["id"]]
    assert listed["next_cursor"] is None


async def test_a_diagnostic_is_checked_when_recorded(
    client: httpx.AsyncClient, own: dict[str, str]
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/diagnostics"

    async def record(**body: Any) -> httpx.Response:
        base = {"made_on": day(-1), "author": "prescripteur", "criteria": [{"criterion": "rsa"}]}
        return await client.post(url, headers=own, json=base | body)

    not_certifiable = await record(criteria=[{"criterion": "residence_qpv", "certified": True}])
    assert not_certifiable.status_code == 422
    assert "/body/criteria" in pointers(not_certifiable)
    twice = await record(criteria=[{"criterion": "rsa"}, {"criterion": "rsa", "certified": True}])
    assert twice.status_code == 422
    future = await record(made_on=day(1))
    assert future.status_code == 422
    assert list(pointers(future)) == ["/body/made_on"]
    too_few = await record(criteria=[{"criterion": "jeune_moins_26_ans"}])
    assert too_few.status_code == 422
    assert [v["code"] for v in too_few.json()["violations"]] == ["eligibility_insufficient"]
    empty = await record(criteria=[])
    assert empty.status_code == 422
    listed = (await client.get(url, headers=own)).json()
    assert listed["items"] == []  # nothing refused was kept


async def test_only_the_structure_and_admin_see_diagnostics(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    make_key: KeyMaker,
) -> None:
    person = await create_salarie(client, own)
    url = f"/v1/salaries/{person['id']}/diagnostics"
    other = await create_structure(client, admin_headers)
    stranger = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=other["id"])
    )
    body = {"made_on": day(-1), "author": "prescripteur", "criteria": [{"criterion": "rsa"}]}
    assert (await client.post(url, headers=stranger, json=body)).status_code == 404
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.post(url, headers=admin_headers, json=body)).status_code == 201
    assert len((await client.get(url, headers=own)).json()["items"]) == 1
