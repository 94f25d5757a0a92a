import datetime as dt

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer


async def test_any_key_reads_the_territories(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    key = bearer(
        await make_key(
            Role.company, (Scope.read,), company_id="00000000-0000-4000-8000-000000000001"
        )
    )
    regions = await client.get("/v1/reference/regions", headers=key)
    assert len(regions.json()["items"]) == 18
    bretagne = await client.get("/v1/reference/departements", headers=key, params={"region": "53"})
    assert [d["code"] for d in bretagne.json()["items"]] == ["22", "29", "35", "56"]
    page = await client.get("/v1/reference/departements", headers=key, params={"limit": 100})
    rest = await client.get(
        "/v1/reference/departements", headers=key, params={"cursor": page.json()["next_cursor"]}
    )
    assert len(page.json()["items"]) + len(rest.json()["items"]) == 101


async def test_enumerations_build_forms(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    enums = (await client.get("/v1/reference/enums", headers=admin_headers)).json()
    assert enums["structure_kinds"] == ["EI", "ETTI", "AI", "ACI", "EITI"]
    assert {"motif": "cdi", "category": "emploi_durable"} in enums["exit_motifs"]
    assert {"motif": "deces", "category": "retrait"} in enums["exit_motifs"]
    assert {"criterion": "rsa", "level": "niveau_1"} in enums["eligibility_criteria"]
    assert {"kind": "ctti", "structure_kinds": ["ETTI"]} in enums["contract_kinds"]
    assert "mobilite" in enums["freins"]


async def test_aide_au_poste_table_and_a_future_rate(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    aci = await client.get(
        "/v1/reference/aide-au-poste", headers=admin_headers, params={"kind": "ACI"}
    )
    assert [r["amount_per_etp"] for r in aci.json()["items"]][-1] == "23921.00"

    future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    body = {"kind": "ACI", "in_force_from": future, "amount_per_etp": "24500.00"}
    created = await client.post("/v1/reference/aide-au-poste", headers=admin_headers, json=body)
    assert created.status_code == 201, created.text
    again = await client.post("/v1/reference/aide-au-poste", headers=admin_headers, json=body)
    assert again.status_code == 409

    past = await client.post(
        "/v1/reference/aide-au-poste",
        headers=admin_headers,
        json=body | {"in_force_from": "2024-06-01"},
    )
    assert past.status_code == 409  # rates in force are immutable
    assert past.json()["errors"][0]["pointer"] == "/body/in_force_from"
    zero = await client.post(
        "/v1/reference/aide-au-poste", headers=admin_headers, json=body | {"amount_per_etp": "0"}
    )
    assert zero.status_code == 422
    structure_key = bearer(
        await make_key(
            Role.structure,
            (Scope.read, Scope.write),
            structure_id="00000000-0000-4000-8000-000000000002",
        )
    )
    assert (
        await client.post("/v1/reference/aide-au-poste", headers=structure_key, json=body)
    ).status_code == 403


async def test_rates_in_force_cannot_be_edited_even_in_sql(session: AsyncSession) -> None:
    with pytest.raises(IntegrityError, match="in force"):
        await session.execute(
            text("UPDATE aide_au_poste_rates SET amount_per_etp = 1 WHERE kind = 'ACI'")
        )


async def test_reference_hours(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    hours = (await client.get("/v1/reference/reference-hours", headers=admin_headers)).json()[
        "items"
    ]
    assert {h["kind"]: h["annual_hours"] for h in hours}["EITI"] == "1505.00"
