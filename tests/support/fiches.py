"""Fiches salarié for tests: a salarié hired with a NIR, their complete ASP profile, a
ready fiche, and the ASP's return file of a batch."""

import datetime as dt
from typing import Any

import httpx
import orjson

from tests.support.records import new_nir, salarie_in_parcours

YEAR = dt.date.today().year
ANNEXE = {
    "year": YEAR,
    "posts": "10",
    "modulation_rate": "0",
    "start_date": f"{YEAR}-01-01",
    "end_date": f"{YEAR}-12-31",
}
PROFILE: dict[str, Any] = {
    "birth_commune_code": "29019",
    "street_number": "12",
    "street_extension": "B",
    "street_type": "RUE",
    "street_name": "de Siam (haut)",
    "postal_code": "29200",
    "education_level": "50",
    "orienteur": "03",
    "unemployed_since": "03",
    "france_travail_since": "03",
    "rsa": "OUI-NM",
    "rsa_since": "02",
    "single_parent": True,
}


async def hired(
    client: httpx.AsyncClient, own: dict[str, str], admin: dict[str, str], structure: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """A salarié hired in 2024, with a NIR, in a structure with an annexe this year."""
    await client.post(f"/v1/structures/{structure['id']}/annexes", headers=admin, json=ANNEXE)
    nir = new_nir("2", 91, 4)
    salarie, _ = await salarie_in_parcours(
        client,
        own,
        last_name="Le Goff-Kervella",
        first_name="Maëlle Françoise",
        nir=nir,
        commune_code="29019",
        france_travail_id="1234567A",
    )
    return salarie, nir


async def ready_fiche(
    client: httpx.AsyncClient,
    own: dict[str, str],
    structure: dict[str, Any],
    salarie: dict[str, Any],
    **profile: Any,
) -> dict[str, Any]:
    put = await client.put(
        f"/v1/salaries/{salarie['id']}/asp-profile", headers=own, json=PROFILE | profile
    )
    assert put.status_code == 200, put.text
    created = await client.post(
        f"/v1/structures/{structure['id']}/fiches-salarie",
        headers=own,
        json={"salarie_id": salarie["id"]},
    )
    assert created.status_code == 201, created.text
    moved = await client.post(
        f"/v1/fiches-salarie/{created.json()['id']}/status", headers=own, json={"status": "ready"}
    )
    assert moved.status_code == 200, moved.text
    fiche: dict[str, Any] = moved.json()
    return fiche


def returned(document: dict[str, Any], *, twice: bool = False, **fields: Any) -> dict[str, Any]:
    lines = [line | fields for line in document["lignesTelechargement"]]
    return document | {"lignesTelechargement": lines * 2 if twice else lines}


async def sent_batch(
    client: httpx.AsyncClient, headers: dict[str, str], structure_id: str, movement: str = "C"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The structure's next batch, built and downloaded: (batch, its file as JSON)."""
    batches = f"/v1/structures/{structure_id}/asp/batches"
    built = await client.post(batches, headers=headers, json={"movement": movement})
    assert built.status_code == 201, built.text
    batch: dict[str, Any] = built.json()
    document = orjson.loads((await client.get(f"{batches}/{batch['id']}", headers=headers)).content)
    return batch, document


async def answer(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    batch: dict[str, Any],
    document: dict[str, Any],
    **fields: Any,
) -> httpx.Response:
    """The ASP's return file of ``batch``: its lines echoed with ``fields``."""
    return await client.post(
        f"/v1/structures/{batch['structure_id']}/asp/batches/{batch['id']}/return",
        headers=headers | {"content-type": "application/json"},
        content=orjson.dumps(returned(document, **fields)),
    )


async def rejected_fiche(
    client: httpx.AsyncClient, own: dict[str, str], admin: dict[str, str], structure: dict[str, Any]
) -> dict[str, Any]:
    """A fiche sent in a batch and rejected by the ASP's return (3417)."""
    salarie, nir = await hired(client, own, admin, structure)
    fiche = await ready_fiche(client, own, structure, salarie, nir=nir)
    batch, document = await sent_batch(client, own, structure["id"])
    answered = await answer(client, own, batch, document, codeTraitement="3417")
    assert answered.status_code == 200, answered.text
    return fiche
