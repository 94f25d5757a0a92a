"""Records made through the API, as a client would, for tests that need them."""

import itertools
import uuid
from typing import Any

import httpx
from stdnum import luhn

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
