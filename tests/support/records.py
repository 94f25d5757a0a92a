"""Records made through the API, as a client would, for tests that need them."""

import datetime as dt
import itertools
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from app.keys.models import ApiKey
from app.webhooks.models import Subscription

_serial = itertools.count(1)


def new_siret(siren: str | None = None) -> str:
    """A fresh SIRET: a Luhn-valid SIREN (given, or new) and establishment number."""
    if siren is None:
        siren_body = f"{(next(_serial) * 7919 + uuid.uuid4().int) % 10**8:08d}"
        siren = siren_body + luhn.calc_check_digit(siren_body)
    body = siren + f"{(next(_serial) * 31 + uuid.uuid4().int) % 10**4:04d}"
    return body + luhn.calc_check_digit(body)


def structure_body(**overrides: Any) -> dict[str, Any]:
    return {
        "siret": new_siret(),
        "name": "Chantiers du Léon",
        "kind": "ACI",
        "address": "12 rue de Brest",
        "postal_code": "29200",
        "commune_code": "29019",
        "departement_code": "29",
        "region_code": "53",
        "sectors": ["espaces_verts"],
        "contact": {"name": "Accueil", "email": "accueil@leon.example", "phone": "0298000000"},
    } | overrides


# a CDDI of six months within a parcours entered on 2024-01-15 (salarie_in_parcours)
CDDI = {"kind": "cddi", "start_date": "2024-01-15", "end_date": "2024-07-14", "weekly_hours": "26"}

IN_OCCITANIE = {"commune_code": "31555", "departement_code": "31", "region_code": "76"}


async def create_structure(
    client: httpx.AsyncClient, admin: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post("/v1/structures", headers=admin, json=structure_body(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_company(
    client: httpx.AsyncClient, admin: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    body = {"siret": new_siret(), "name": "Transports Kerjean", "size": "PME", "region_code": "53"}
    response = await client.post("/v1/companies", headers=admin, json=body | overrides)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_network(
    client: httpx.AsyncClient, admin: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    body = {"name": f"Réseau {uuid.uuid4().hex[:8]}"} | overrides
    response = await client.post("/v1/networks", headers=admin, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def new_nir(sex: str = "2", year: int = 91, month: int = 4) -> str:
    """A valid NIR (with its control key) for a person born in 19YY-MM in Finistère."""
    body = f"{sex}{year:02d}{month:02d}29019{next(_serial) % 1000:03d}"
    return body + f"{97 - int(body) % 97:02d}"


def salarie_body(**overrides: Any) -> dict[str, Any]:
    return {
        "first_name": "Maëlle",
        "last_name": f"Le Goff {uuid.uuid4().hex[:6]}",
        "birth_date": "1991-04-12",
        "gender": "femme",
        "criteria": ["rsa"],
    } | overrides


async def create_salarie(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post("/v1/salaries", headers=headers, json=salarie_body(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def salarie_in_parcours(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    pass_start: str = "2024-01-01",
    entry: str = "2024-01-15",
    **salarie: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A salarié with a PASS IAE, a prescriber's diagnostic of their criteria made 10
    days before the entry, and a parcours under way: (salarié, parcours)."""
    person = await create_salarie(client, headers, **salarie)
    made_on = dt.date.fromisoformat(entry) - dt.timedelta(days=10)
    await record_diagnostic(client, headers, person, made_on.isoformat())
    response = await client.put(
        f"/v1/salaries/{person['id']}/pass-iae",
        headers=headers,
        json={
            "number": f"9{next(_serial) % 1000:03d}{uuid.uuid4().int % 10**8:08d}",
            "start_date": pass_start,
        },
    )
    assert response.status_code == 200, response.text
    response = await client.post(
        "/v1/parcours", headers=headers, json={"salarie_id": person["id"], "entry_date": entry}
    )
    assert response.status_code == 201, response.text
    parcours: dict[str, Any] = response.json()
    return person, parcours


async def record_diagnostic(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    person: dict[str, Any],
    made_on: str,
    *,
    author: str = "prescripteur",
) -> dict[str, Any]:
    """A diagnostic of the salarié's own criteria, made on ``made_on``."""
    response = await client.post(
        f"/v1/salaries/{person['id']}/diagnostics",
        headers=headers,
        json={
            "made_on": made_on,
            "author": author,
            "criteria": [{"criterion": c, "certified": False} for c in person["criteria"]],
        },
    )
    assert response.status_code == 201, response.text
    diagnostic: dict[str, Any] = response.json()
    return diagnostic


async def subscribed(session: AsyncSession, event_type: str) -> None:
    """A subscription to ``event_type`` in the test's transaction, so that its events
    are kept in the outbox (an event no subscription asks for is dropped)."""
    key_id = await session.scalar(select(ApiKey.id).limit(1))
    assert key_id is not None
    session.add(
        Subscription(
            key_id=key_id,
            url="https://hooks.example/x",
            event_types=[event_type],
            secret="whsec_test",
        )
    )
    await session.flush()


def mission_body(structure_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "external_ref": f"PO-{uuid.uuid4().hex[:10]}",
        "structure_id": structure_id,
        "title": "Entretien des espaces verts",
        "kind": "prestation",
        "sector": "espaces_verts",
        "commune_code": "29019",
        "start_date": "2025-03-01",
        "end_date": "2025-10-31",
        "planned_hours": "1200",
        "amount_ht": "48500.00",
    } | overrides
