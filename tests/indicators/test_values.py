"""Each indicator on a small data set built by hand, its expected value worked out by hand."""

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.companies.models import Company
from app.keys.models import Role, Scope
from app.missions.models import Mission, MissionHours
from app.networks.models import Network
from app.parcours.models import Contract, FreinRecord, MonthlyHours, Parcours
from app.reference.enums import EXIT_CATEGORY_OF_MOTIF, ExitMotif
from app.salaries.models import Salarie
from app.structures.models import Annexe, Structure
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure, new_siret, salarie_in_parcours

D = dt.date
YEAR_2025 = {"from": "2025-01", "to": "2025-12"}
MONTH = Decimal("30.4375")


class World:
    a: Structure  # an ACI in Finistère (Bretagne)
    b: Structure  # an EI in Haute-Garonne (Occitanie)
    company: Company
    other_company: Company
    people: dict[str, Salarie]


RecordT = TypeVar("RecordT")


def add(session: AsyncSession, record: RecordT) -> RecordT:
    session.add(record)
    return record


@pytest.fixture
async def world(session: AsyncSession) -> World:
    w = World()
    w.a = add(
        session,
        Structure(
            siret=new_siret(),
            name="A",
            kind="ACI",
            commune_code="29019",
            departement_code="29",
            region_code="53",
        ),
    )
    w.b = add(
        session,
        Structure(
            siret=new_siret(),
            name="B",
            kind="EI",
            commune_code="31555",
            departement_code="31",
            region_code="76",
        ),
    )
    w.company = add(session, Company(siret=new_siret(), name="C", region_code="53"))
    w.other_company = add(session, Company(siret=new_siret(), name="D", region_code="76"))
    await session.flush()
    w.people = {}
    for name, structure in [*((f"A{n}", w.a) for n in range(1, 7)), ("B1", w.b), ("B2", w.b)]:
        w.people[name] = add(
            session,
            Salarie(
                structure_id=structure.id,
                first_name=name,
                last_name="X",
                birth_date=D(1990, 1, 1),
                gender="femme",
            ),
        )
    await session.flush()
    parcours = {
        "A1": (D(2024, 6, 1), D(2025, 3, 15), ExitMotif.cdi),
        "A2": (D(2025, 1, 10), D(2025, 6, 30), ExitMotif.cdd_moins_6_mois),
        "A3": (D(2025, 2, 1), D(2025, 9, 30), ExitMotif.formation_qualifiante),
        "A4": (D(2025, 3, 1), D(2025, 10, 31), ExitMotif.chomage),
        "A5": (D(2025, 4, 1), D(2025, 5, 15), ExitMotif.fin_periode_essai),
        "A6": (D(2025, 11, 1), None, None),
        "B1": (D(2025, 1, 1), D(2026, 2, 28), ExitMotif.cdi),
        "B2": (D(2023, 1, 1), D(2024, 12, 31), ExitMotif.chomage),
    }
    records = {}
    for name, (entry, exit_date, motif) in parcours.items():
        person = w.people[name]
        records[name] = add(
            session,
            Parcours(
                salarie_id=person.id,
                structure_id=person.structure_id,
                entry_date=entry,
                status="sorti" if exit_date else "en_cours",
                exit_date=exit_date,
                exit_motif=motif,
                exit_category=EXIT_CATEGORY_OF_MOTIF[motif] if motif else None,
            ),
        )
    await session.flush()

    def contract(name: str, start: dt.date, end: dt.date) -> Contract:
        p = records[name]
        return add(
            session,
            Contract(
                parcours_id=p.id,
                salarie_id=p.salarie_id,
                structure_id=p.structure_id,
                kind="cddi",
                start_date=start,
                end_date=end,
                weekly_hours=Decimal(26),
            ),
        )

    c1 = contract("A1", D(2024, 6, 1), D(2025, 3, 15))  # crosses into 2025: counted once
    c2 = contract("A2", D(2025, 1, 10), D(2025, 6, 30))
    contract("A6", D(2025, 11, 1), D(2026, 4, 30))  # ends in 2026: not counted in 2025
    await session.flush()
    for c, month, hours in [
        (c1, D(2024, 12, 1), 100),
        (c1, D(2025, 1, 1), 110),
        (c1, D(2025, 2, 1), 120),
        (c2, D(2025, 2, 1), 80),
    ]:
        add(session, MonthlyHours(contract_id=c.id, month=month, hours=Decimal(hours)))
    add(
        session,
        Annexe(
            structure_id=w.a.id,
            year=2025,
            posts=Decimal(10),
            modulation_rate=Decimal(5),
            start_date=D(2025, 1, 1),
            end_date=D(2025, 12, 31),
        ),
    )
    for name, identified, lifted in [
        ("A1", D(2025, 1, 5), D(2025, 3, 1)),
        ("A2", D(2025, 2, 1), None),
        ("A3", D(2025, 3, 1), D(2026, 1, 10)),
    ]:
        add(
            session,
            FreinRecord(
                parcours_id=records[name].id,
                kind="mobilite",
                identified_on=identified,
                lifted_on=lifted,
            ),
        )

    def mission(
        company: Company,
        structure: Structure,
        start: dt.date,
        end: dt.date,
        amount: int,
        sector: str,
        clause: int | None,
    ) -> Mission:
        return add(
            session,
            Mission(
                company_id=company.id,
                structure_id=structure.id,
                external_ref=uuid.uuid4().hex,
                title="m",
                kind="prestation",
                sector=sector,
                commune_code=structure.commune_code,
                departement_code=structure.departement_code,
                region_code=structure.region_code,
                start_date=start,
                end_date=end,
                planned_hours=Decimal(100),
                amount_ht=Decimal(amount),
                social_clause=clause is not None,
                insertion_hours_target=Decimal(clause) if clause else None,
                content_hash=b"x",
            ),
        )

    m1 = mission(w.company, w.a, D(2025, 1, 1), D(2025, 12, 31), 36500, "espaces_verts", 500)
    mission(w.other_company, w.b, D(2024, 7, 1), D(2025, 6, 30), 3650, "industrie", None)
    await session.flush()
    add(
        session,
        MissionHours(
            mission_id=m1.id, salarie_id=w.people["A1"].id, month=D(2025, 1, 1), hours=Decimal(40)
        ),
    )
    add(
        session,
        MissionHours(
            mission_id=m1.id, salarie_id=w.people["A2"].id, month=D(2025, 2, 1), hours=Decimal(20)
        ),
    )
    await session.commit()
    return w


async def value(
    client: httpx.AsyncClient, headers: dict[str, str], code: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/indicators/{code}", headers=headers, params=YEAR_2025 | params
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def by(rows: list[dict[str, Any]], dimension: str) -> dict[str, dict[str, Any]]:
    return {row["dimensions"][dimension]: row for row in rows}


async def only(
    client: httpx.AsyncClient, headers: dict[str, str], code: str, **params: Any
) -> dict[str, Any]:
    [row] = (await value(client, headers, code, **params))["rows"]
    assert isinstance(row, dict)
    return row


async def test_people_entries_and_exits(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    accompanied = by(
        (await value(client, admin_headers, "salaries_accompagnes", group_by="region"))["rows"],
        "region",
    )
    assert accompanied["53"]["value"] == "6"  # A1..A6 under way in 2025
    assert accompanied["76"]["value"] == "1"  # B1; B2 left on 2024-12-31
    assert (await only(client, admin_headers, "entrees"))["value"] == "6"  # A2..A6, B1
    every = await only(client, admin_headers, "sorties", exit_counting="toutes")
    assert every["value"] == "5"  # A1..A5; B1 leaves in 2026
    assert every["breakdown"] == {
        "emploi_durable": 1,
        "emploi_transition": 1,
        "sortie_positive": 1,
        "autre_sortie": 1,
        "retrait": 1,
    }
    # the state's rule, the default: A5's 45 days in an ACI are too short to judge
    counted = await value(client, admin_headers, "sorties")
    assert counted["exit_counting"] == "etat"
    assert counted["rows"][0]["value"] == "4"
    assert counted["rows"][0]["breakdown"]["retrait"] == 0
    [left_out] = (await value(client, admin_headers, "sorties_non_comptabilisees"))["rows"]
    assert (left_out["value"], left_out["breakdown"]["retrait"]) == ("1", 1)
    entries = await value(client, admin_headers, "entrees")
    assert entries["exit_counting"] is None  # not an exit indicator


async def test_exit_rates_leave_the_retrait_out(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    dynamic = await only(client, admin_headers, "taux_sorties_dynamiques")
    assert (dynamic["numerator"], dynamic["denominator"], dynamic["value"]) == (
        "3",
        "4",
        "0.7500",
    )  # 3 / (5 - 1)
    durable = await only(client, admin_headers, "taux_emploi_durable")
    assert durable["value"] == "0.2500"


async def test_durations(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    # contracts ending in 2025: A1 288 days (2024-06-01 to 2025-03-15, counted once), A2 172 days
    contracts = await only(client, admin_headers, "duree_moyenne_contrat_mois")
    assert Decimal(contracts["value"]) == ((Decimal(288 + 172) / MONTH) / 2).quantize(
        Decimal("0.0001")
    )
    # parcours exited in 2025: 288 + 172 + 242 + 245 + 45 days
    parcours = await only(client, admin_headers, "duree_moyenne_parcours_mois")
    assert Decimal(parcours["value"]) == ((Decimal(992) / MONTH) / 5).quantize(Decimal("0.0001"))


async def test_hours_split_over_two_years_and_etp(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    yearly = by(
        (
            await value(
                client,
                admin_headers,
                "heures_travaillees",
                **{"from": "2024-01", "group_by": "year"},
            )
        )["rows"],
        "year",
    )
    assert yearly["2024"]["value"] == "100.00"
    assert yearly["2025"]["value"] == "310.00"  # 110 + 120 + 80
    # periods are labelled as the queries spell them, and no other dimension appears
    for group_by, label in (
        ("quarter", r"^20\d\d-Q[1-4]$"),
        ("month", r"^20\d\d-(0[1-9]|1[0-2])$"),
    ):
        rows = (
            await value(
                client,
                admin_headers,
                "heures_travaillees",
                **{"from": "2024-01", "group_by": group_by},
            )
        )["rows"]
        assert rows
        assert all(list(row["dimensions"]) == [group_by] for row in rows)
        assert all(re.match(label, row["dimensions"][group_by]) for row in rows), rows
    assert (await only(client, admin_headers, "etp_realises"))["value"] == str(
        (Decimal(310) / 1607).quantize(Decimal("0.01"))
    )
    assert (await only(client, admin_headers, "etp_conventionnes"))["value"] == "10.00"
    monthly = (await value(client, admin_headers, "etp_conventionnes", group_by="month"))["rows"]
    assert [row["value"] for row in monthly] == ["10.00"] * 12
    rate = await only(client, admin_headers, "taux_realisation_etp")
    assert Decimal(rate["value"]) == (Decimal(310) / 1607 / 10).quantize(Decimal("0.0001"))
    aid = await only(client, admin_headers, "aide_au_poste")
    # 310 h / 1 607 h x 23 921 EUR (ACI socle in 2025) x 1.05 (5 % modulation)
    assert Decimal(aid["value"]) == (Decimal(310) / 1607 * 23921 * Decimal("1.05")).quantize(
        Decimal("0.01")
    )


async def test_missions(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    purchases = by(
        (await value(client, admin_headers, "achats_montant", group_by="company"))["rows"],
        "company",
    )
    assert purchases[str(world.company.id)]["value"] == "36500.00"
    assert (
        purchases[str(world.other_company.id)]["value"] == "1810.00"
    )  # 3 650 x 181 / 365 days in 2025
    assert (await only(client, admin_headers, "entreprises_clientes"))["value"] == "2"
    assert (await only(client, admin_headers, "secteurs_activite"))["value"] == "2"
    assert (await only(client, admin_headers, "heures_clauses_sociales"))["value"] == "60.00"


async def test_freins_lifted_by_the_end_of_the_period(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    freins = await only(client, admin_headers, "freins_leves")
    assert (freins["numerator"], freins["denominator"]) == ("1", "3")  # A3's lifted in 2026


async def test_scope_by_caller_and_small_cells(
    world: World, client: httpx.AsyncClient, make_key: KeyMaker, session: AsyncSession
) -> None:
    structure_key = bearer(await make_key(Role.structure, (Scope.read,), structure_id=world.a.id))
    assert (await only(client, structure_key, "salaries_accompagnes"))["value"] == "6"
    bretagne = add(session, Network(name="Bretagne", region_codes=["53"]))
    occitanie = add(session, Network(name="Occitanie", region_codes=["76"]))
    await session.commit()
    in_53 = bearer(await make_key(Role.network, (Scope.read,), network_id=bretagne.id))
    in_76 = bearer(await make_key(Role.network, (Scope.read,), network_id=occitanie.id))
    shown = await value(client, in_53, "salaries_accompagnes")
    # a network reads counts give or take the perturbation, and is told so
    assert abs(int(shown["rows"][0]["value"]) - 6) <= shown["perturbation"] == 2
    small = await value(client, in_76, "salaries_accompagnes")
    assert small["rows"][0] == {
        "dimensions": {},
        "value": None,
        "numerator": None,
        "denominator": None,
        "suppressed": True,
        "breakdown": None,
    }
    assert small["suppressed_rows"] == 1
    company_key = bearer(await make_key(Role.company, (Scope.read,), company_id=world.company.id))
    assert (await only(client, company_key, "achats_montant"))["value"] == "36500.00"
    assert (await only(client, company_key, "heures_clauses_sociales"))[
        "suppressed"
    ] is True  # 2 salariés
    forbidden = await client.get(
        "/v1/indicators/salaries_accompagnes", headers=company_key, params=YEAR_2025
    )
    assert forbidden.status_code == 403


async def test_bad_requests(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    # each refusal names the parameter at fault
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("nope", {}, "/path/code"),
        ("salaries_accompagnes", {"group_by": "company"}, "/query/group_by"),
        ("salaries_accompagnes", {"group_by": ["month", "year"]}, "/query/group_by"),
        ("salaries_accompagnes", {"group_by": ["region", "structure", "year"]}, "/query/group_by"),
        ("salaries_accompagnes", {"from": "2025-13"}, "/query/from"),
        ("salaries_accompagnes", {"from": "2026-01"}, "/query/to"),
    ]
    for code, params, pointer in cases:
        response = await client.get(
            f"/v1/indicators/{code}", headers=admin_headers, params=YEAR_2025 | params
        )
        assert response.status_code == 422, (code, params)
        assert pointer in [error["pointer"] for error in response.json()["errors"]], (code, params)


async def test_csv_export_with_french_decimals(
    world: World, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get(
        "/v1/indicators/taux_sorties_dynamiques",
        headers=admin_headers | {"Accept": "text/csv"},
        params=YEAR_2025 | {"group_by": "region", "decimal": "comma"},
    )
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "region;value;numerator;denominator;suppressed"
    assert "53;0,7500;3;4;false" in lines


async def test_objectives_and_dashboard(
    world: World, client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    structure_key = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=world.a.id)
    )
    body = {
        "indicator": "taux_sorties_dynamiques",
        "scope_kind": "structure",
        "structure_id": str(world.a.id),
        "period_start": "2025-01",
        "period_end": "2025-12",
        "target_value": "0.60",
    }
    created = await client.post("/v1/objectives", headers=structure_key, json=body)
    assert created.status_code == 201, created.text
    other = await client.post(
        "/v1/objectives", headers=structure_key, json=body | {"structure_id": str(world.b.id)}
    )
    assert other.status_code == 403
    board = await client.get("/v1/indicators/dashboard", headers=structure_key, params=YEAR_2025)
    [line] = board.json()["lines"]
    assert (line["target"], line["achieved"], line["gap"]) == ("0.6000", "0.7500", "0.1500")
    assert len((await client.get("/v1/objectives", headers=structure_key)).json()["items"]) == 1
    removed = await client.delete(f"/v1/objectives/{created.json()['id']}", headers=structure_key)
    assert removed.status_code == 204


async def test_catalogue(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    items = (await client.get("/v1/indicators", headers=admin_headers)).json()["items"]
    assert len(items) == 18
    rate = next(i for i in items if i["code"] == "taux_sorties_dynamiques")
    assert rate["is_rate"] is True
    assert "company" not in rate["dimensions"]


async def test_an_ai_exit_counts_from_150_hours_worked_even_recorded_after_it(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    ai = await create_structure(client, admin_headers, kind="AI")
    own = bearer(await make_key(Role.structure, (Scope.read, Scope.write), structure_id=ai["id"]))
    _, parcours = await salarie_in_parcours(client, own, entry="2025-01-06")
    contract = await client.post(
        f"/v1/parcours/{parcours['id']}/contracts",
        headers=own,
        json={
            "kind": "cddi",
            "start_date": "2025-01-06",
            "end_date": "2025-05-05",
            "weekly_hours": "20",
        },
    )
    assert contract.status_code == 201, contract.text
    hours = f"/v1/contracts/{contract.json()['id']}/hours"
    for month, worked in [("2025-01", "80"), ("2025-02", "69.5")]:
        put = await client.put(f"{hours}/{month}", headers=own, json={"hours": worked})
        assert put.status_code == 200, put.text
    exited = await client.post(
        f"/v1/parcours/{parcours['id']}/exit",
        headers=own,
        json={"exit_date": "2025-05-05", "motif": "cdi"},
    )
    assert exited.status_code == 200, exited.text

    async def exits(code: str, **params: str) -> str:
        return str((await only(client, own, code, **params))["value"])

    assert await exits("sorties") == "0"  # 149.5 hours: too few to judge
    assert await exits("sorties_non_comptabilisees") == "1"
    assert await exits("sorties", exit_counting="toutes") == "1"
    late = await client.put(f"{hours}/2025-03", headers=own, json={"hours": "0.5"})
    assert late.status_code == 200, late.text
    assert await exits("sorties") == "1"  # 150 hours
    assert await exits("sorties_non_comptabilisees") == "0"
    rate = await only(client, own, "taux_sorties_dynamiques")
    assert (rate["numerator"], rate["denominator"]) == ("1", "1")
