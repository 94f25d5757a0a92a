import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo


async def test_demo_data_covers_each_kind_in_both_regions_and_loads_once(
    session: AsyncSession, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first = await demo.load(session)
    again = await demo.load(session)
    await session.commit()
    assert first == {
        "structures": 10,
        "annexes": 10,
        "companies": 3,
        "networks": 1,
        "salaries": 40,
        "missions": 6,
        "objectives": 6,
    }
    assert set(again.values()) == {0}

    structures = (
        await client.get("/v1/structures", headers=admin_headers, params={"limit": 50})
    ).json()["items"]
    kinds_by_region = {(s["region_code"], s["kind"]) for s in structures}
    assert kinds_by_region == {
        (region, kind) for region in ("53", "76") for kind in ("EI", "ETTI", "AI", "ACI", "EITI")
    }

    network = (await client.get("/v1/networks", headers=admin_headers)).json()["items"][0]
    covered = await client.get(
        "/v1/structures", headers=admin_headers, params={"network": network["id"]}
    )
    assert {s["region_code"] for s in covered.json()["items"]} == {"53"}

    aci = next(s for s in structures if s["kind"] == "ACI" and s["region_code"] == "53")
    annexes = (
        await client.get(f"/v1/structures/{aci['id']}/annexes", headers=admin_headers)
    ).json()["items"]
    assert annexes[0]["aid"]["socle"] == "430578.00"  # 18 ETP x 23 921


async def test_demo_parcours_follow_the_rules_and_exit_in_every_category(
    session: AsyncSession, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await demo.load(session)
    await session.commit()
    parcours = (
        await client.get("/v1/parcours", headers=admin_headers, params={"limit": 100})
    ).json()["items"]
    assert len(parcours) == 40
    assert {p["exit_category"] for p in parcours} == {
        "emploi_durable",
        "emploi_transition",
        "sortie_positive",
        "autre_sortie",
        "retrait",
    }
    first = parcours[0]
    contracts = (
        await client.get(f"/v1/parcours/{first['id']}/contracts", headers=admin_headers)
    ).json()["items"]
    assert len(contracts) == 2
    assert all(c["warnings"] == [] for c in contracts)
    hours = (
        await client.get(f"/v1/contracts/{contracts[0]['id']}/hours", headers=admin_headers)
    ).json()["items"]
    assert len(hours) >= 6
    for kind in ("actions", "freins", "objectives"):
        assert (
            await client.get(f"/v1/parcours/{first['id']}/{kind}", headers=admin_headers)
        ).json()["items"]


async def test_demo_missions_carry_hours_and_amounts(
    session: AsyncSession, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await demo.load(session)
    await session.commit()
    listed = (await client.get("/v1/missions", headers=admin_headers)).json()["items"]
    assert len(listed) == 6
    assert {m["kind"] for m in listed} >= {"prestation", "mise_a_disposition", "chantier"}
    assert all(m["status"] == "en_cours" for m in listed)
    hours = (
        await client.get(f"/v1/missions/{listed[0]['id']}/hours", headers=admin_headers)
    ).json()
    assert hours["assigned_salaries"] == 2
    assert hours["total_hours"] != "0"


async def test_demo_dashboard_compares_targets_and_achievements(
    session: AsyncSession, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await demo.load(session)
    await session.commit()
    board = await client.get(
        "/v1/indicators/dashboard",
        headers=admin_headers,
        params={"from": "2024-01", "to": "2025-12"},
    )
    lines = board.json()["lines"]
    assert len(lines) == 6
    assert all(line["achieved"] is not None and line["gap"] is not None for line in lines)
