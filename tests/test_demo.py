import datetime as dt

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
    assert sum(p["status"] == "en_cours" for p in parcours) == 16  # two per structure
    assert {p["exit_category"] for p in parcours if p["status"] == "sorti"} == {
        "emploi_durable",
        "emploi_transition",
        "sortie_positive",
        "autre_sortie",
        "retrait",
    }
    first = next(p for p in parcours if p["status"] == "sorti")
    contracts = (
        await client.get(f"/v1/parcours/{first['id']}/contracts", headers=admin_headers)
    ).json()["items"]
    assert len(contracts) == 2
    assert all(c["warnings"] == [] for c in contracts)
    hours = (
        await client.get(f"/v1/contracts/{contracts[0]['id']}/hours", headers=admin_headers)
    ).json()["items"]
    assert len(hours) >= 6
    # each hire rests on a prescriber's diagnostic, made before the entry
    [diagnostic] = (
        await client.get(f"/v1/salaries/{first['salarie_id']}/diagnostics", headers=admin_headers)
    ).json()["items"]
    assert diagnostic["author"] == "prescripteur"
    assert diagnostic["made_on"] < first["entry_date"] <= diagnostic["valid_until"]
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
        params={"from": f"{dt.date.today().year - 1}-01", "to": f"{dt.date.today().year}-12"},
    )
    lines = board.json()["lines"]
    assert len(lines) == 6
    assert all(line["achieved"] is not None and line["gap"] is not None for line in lines)


async def test_the_demo_is_dated_relative_to_today(
    session: AsyncSession, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """Loaded any day, it has something due: a contract and a PASS IAE ending within
    30 days, parcours under way, missions running, the current year's annexes, and no
    hours recorded ahead of today. Names match genders, and each is someone's own."""
    await demo.load(session)
    await session.commit()
    today = dt.date.today()
    alerts = (await client.get("/v1/alerts", headers=admin_headers, params={"limit": 100})).json()[
        "items"
    ]
    due = {(a["record_type"], a["kind"]) for a in alerts}
    assert ("contract", "contract_ending") in due, alerts
    assert any(record == "pass_iae" for record, _ in due), alerts
    assert all(
        today <= dt.date.fromisoformat(a["due_date"]) <= today + dt.timedelta(30) for a in alerts
    )

    missions = (await client.get("/v1/missions", headers=admin_headers)).json()["items"]
    assert all(m["start_date"] <= today.isoformat() <= m["end_date"] for m in missions)
    salaries = (
        await client.get("/v1/salaries", headers=admin_headers, params={"limit": 100})
    ).json()["items"]
    assert len({(s["first_name"], s["last_name"]) for s in salaries}) == 40
    assert not any("(" in s["last_name"] for s in salaries)
    for person in salaries:
        names = demo.WOMEN if person["gender"] == "femme" else demo.MEN
        assert person["first_name"] in names, person
    parcours = (
        await client.get("/v1/parcours", headers=admin_headers, params={"limit": 100})
    ).json()["items"]
    ongoing = next(p for p in parcours if p["status"] == "en_cours")
    contracts = (
        await client.get(f"/v1/parcours/{ongoing['id']}/contracts", headers=admin_headers)
    ).json()["items"]
    for contract in contracts:
        hours = (
            await client.get(f"/v1/contracts/{contract['id']}/hours", headers=admin_headers)
        ).json()["items"]
        assert all(h["month"] <= f"{today:%Y-%m}" for h in hours)
