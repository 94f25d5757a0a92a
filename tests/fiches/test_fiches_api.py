"""A structure's fiches salarié through the API: the profile, the checks before
sending, a batch built and downloaded byte for byte, and the ASP's return file applied
(or refused whole)."""

from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.keys.models import Role, Scope
from app.webhooks.models import Event
from tests.support.fiches import PROFILE, answer, hired, ready_fiche, returned, sent_batch
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure, new_nir, subscribed


async def test_a_fiche_is_checked_sent_in_a_batch_and_integrated_by_the_return(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    structure: dict[str, Any],
) -> None:
    salarie, nir = await hired(client, own, admin_headers, structure)
    fiches = f"/v1/structures/{structure['id']}/fiches-salarie"
    created = await client.post(fiches, headers=own, json={"salarie_id": salarie["id"]})
    assert created.status_code == 201, created.text
    fiche = created.json()
    assert fiche["status"] == "new"
    twice = await client.post(fiches, headers=own, json={"salarie_id": salarie["id"]})
    assert twice.status_code == 409

    status = f"/v1/fiches-salarie/{fiche['id']}/status"
    refused = await client.post(status, headers=own, json={"status": "ready"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/fiche-salarie-incomplete")
    errors = {e["pointer"]: e for e in refused.json()["errors"]}
    assert errors["/asp_profile/birth_commune_code"]["asp_code"] == "3411"
    assert errors["/asp_profile/ntt"]["asp_code"] == "3501"  # no NIR in the profile yet
    assert {"/asp_profile/education_level", "/asp_profile/street_type"} <= set(errors)

    profile_url = f"/v1/salaries/{salarie['id']}/asp-profile"
    other_nir = await client.put(profile_url, headers=own, json=PROFILE | {"nir": new_nir()})
    assert other_nir.status_code == 422
    put = await client.put(profile_url, headers=own, json=PROFILE | {"nir": nir})
    assert put.status_code == 200, put.text
    assert put.json()["has_nir"] is True
    assert "nir" not in put.json()
    kept = await client.put(profile_url, headers=own, json=PROFILE | {"orienteur": "01"})
    assert kept.json()["has_nir"] is True  # left out: kept

    dry = await client.post(
        status, headers=own, json={"status": "ready"}, params={"dry_run": "true"}
    )
    assert (dry.status_code, dry.json()["status"]) == (200, "ready")
    assert (await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)).json()[
        "status"
    ] == "new"
    ready = await client.post(status, headers=own, json={"status": "ready"})
    assert (ready.status_code, ready.json()["status"]) == (200, "ready"), ready.text

    batches = f"/v1/structures/{structure['id']}/asp/batches"
    built = await client.post(batches, headers=own, json={"movement": "C"})
    assert built.status_code == 201, built.text
    batch = built.json()
    assert (batch["line_count"], batch["skipped"]) == (1, [])
    assert batch["file_name"].startswith("RIAE_FS_")
    assert len(batch["file_name"]) == 27
    nothing = await client.post(batches, headers=own, json={"movement": "C"})
    assert nothing.status_code == 409
    sent = await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)
    assert sent.json()["status"] == "sent"

    download = await client.get(f"{batches}/{batch['id']}", headers=own)
    assert download.status_code == 200
    assert batch["file_name"] in download.headers["content-disposition"]
    assert len(download.content) == batch["size_bytes"]
    document = orjson.loads(download.content)
    assert list(document) == ["msgInformatif", "telId", "lignesTelechargement"]
    (line,) = document["lignesTelechargement"]
    assert (line["numLigne"], line["typeMouvement"], line["mesure"]) == (1, "C", "ACI_DC")
    person = line["personnePhysique"]
    assert person["nomUsage"] == "LE GOFF-KERVELLA"
    assert person["prenom"] == "MAELLE FRANCOISE"
    assert person["civilite"] == "MME"
    assert person["codeComInsee"] == {"codeComInsee": "29019", "codeDpt": "029"}
    assert (person["codeInseePays"], person["codeGroupePays"]) == ("100", "1")
    assert person["salarieNIR"] == nir
    assert person["dateNaissance"] == "12/04/1991"
    assert line["adresse"]["adrLibelleVoie"] == "de Siam haut"  # no parentheses (3330)
    assert line["situationSalarie"]["salarieBenefRSA"] == "OUI-NM"
    assert line["situationSalarie"]["salarieEnEmploi"] is False
    assert (line["codeTraitement"], line["libelleTraitement"]) == (None, None)

    answer = f"{batches}/{batch['id']}/return"
    for broken in (
        b"not json",
        orjson.dumps({"lignes": []}),
        orjson.dumps(returned(document, numLigne=2)),
        orjson.dumps(returned(document, codeTraitement=None)),
        orjson.dumps(returned(document, typeMouvement="M")),
        orjson.dumps(returned(document, personnePhysique={**person, "passIae": "999990000000"})),
        orjson.dumps(returned(document, twice=True)),
    ):
        refused = await client.post(
            answer, headers=own | {"content-type": "application/json"}, content=broken
        )
        assert refused.status_code == 422, (broken, refused.text)
        assert refused.json()["type"].endswith("/return-file-refused")
    still = await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)
    assert still.json()["status"] == "sent"  # nothing applied

    label = "La ligne de la fiche salarié a été enregistrée avec succès."
    applied = await client.post(
        answer,
        headers=own | {"content-type": "application/json"},
        content=orjson.dumps(returned(document, codeTraitement="0000", libelleTraitement=label)),
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["lines"][0]["status"] == "processed"
    integrated = (await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)).json()
    assert (integrated["status"], integrated["asp_code"], integrated["asp_label"]) == (
        "processed",
        "0000",
        label,
    )
    again = await client.post(
        answer,
        headers=own | {"content-type": "application/json"},
        content=orjson.dumps(returned(document, codeTraitement="0000")),
    )
    assert again.status_code == 409
    listed = await client.get(batches, headers=own)
    assert listed.json()["items"][0]["returned_at"] is not None


async def test_a_rejected_fiche_raises_an_alert_and_a_webhook_then_is_sent_again(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    structure: dict[str, Any],
    session: AsyncSession,
) -> None:
    await subscribed(session, "fiche_salarie.rejected")
    salarie, nir = await hired(client, own, admin_headers, structure)
    fiche = await ready_fiche(client, own, structure, salarie, nir=nir)
    batch, document = await sent_batch(client, own, structure["id"])
    label = "La commune de résidence n'est pas référencée"
    applied = await answer(
        client, own, batch, document, codeTraitement="3417", libelleTraitement=label
    )
    assert applied.status_code == 200, applied.text
    rejected = (await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)).json()
    assert (rejected["status"], rejected["asp_code"]) == ("rejected", "3417")

    alerts = (await client.get("/v1/alerts", headers=own)).json()["items"]
    assert [(a["kind"], a["record_id"]) for a in alerts if a["record_type"] == "fiche_salarie"] == [
        ("fiche_salarie_rejected", fiche["id"])
    ]
    events = (
        await session.scalars(select(Event.data).where(Event.type == "fiche_salarie.rejected"))
    ).all()
    assert [(e["fiche_salarie_id"], e["asp_code"]) for e in events] == [(fiche["id"], "3417")]
    assert "asp_label" not in events[0]  # free text from outside: on the fiche only

    again = await client.post(
        f"/v1/fiches-salarie/{fiche['id']}/status", headers=own, json={"status": "ready"}
    )
    assert again.json()["status"] == "ready"
    alerts = (await client.get("/v1/alerts", headers=own)).json()["items"]
    assert not [a for a in alerts if a["record_type"] == "fiche_salarie"]


async def test_a_duplicate_is_integrated_and_a_pass_change_queues_a_modification(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    structure: dict[str, Any],
) -> None:
    salarie, nir = await hired(client, own, admin_headers, structure)
    fiche = await ready_fiche(client, own, structure, salarie, nir=nir)
    batches = f"/v1/structures/{structure['id']}/asp/batches"
    batch, document = await sent_batch(client, own, structure["id"])
    await answer(client, own, batch, document, codeTraitement="3436", libelleTraitement="x")
    duplicate = (await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)).json()
    assert (duplicate["status"], duplicate["processed_as_duplicate"]) == ("processed", True)
    assert duplicate["asp_label"] == "Statut forcé suite à doublon ASP"
    nothing = await client.post(batches, headers=own, json={"movement": "M"})
    assert nothing.status_code == 409  # the PASS IAE has not changed

    suspended = await client.post(
        f"/v1/salaries/{salarie['id']}/pass-iae/adjustments",
        headers=own,
        json={
            "kind": "suspension",
            "reason": "arret_maladie",
            "start_date": "2025-12-10",  # within 365 days of today and of the PASS
            "end_date": "2026-01-31",
        },
    )
    assert suspended.status_code == 201, suspended.text
    modification = await client.post(batches, headers=own, json={"movement": "M"})
    assert modification.status_code == 201, modification.text
    m_file = orjson.loads(
        (await client.get(f"{batches}/{modification.json()['id']}", headers=own)).content
    )
    (line,) = m_file["lignesTelechargement"]
    assert list(line)[:4] == ["numLigne", "typeMouvement", "mesure", "siret"]
    assert line["typeMouvement"] == "M"
    assert (
        line["personnePhysique"]["passDateFin"]
        != document["lignesTelechargement"][0]["personnePhysique"]["passDateFin"]
    )


async def test_pseudonymisation_erases_the_profile_and_the_lines_sent(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    structure: dict[str, Any],
) -> None:
    salarie, nir = await hired(client, own, admin_headers, structure)
    fiche = await ready_fiche(client, own, structure, salarie, nir=nir)
    batches = f"/v1/structures/{structure['id']}/asp/batches"
    batch, document = await sent_batch(client, own, structure["id"])
    quoting = f"Le NIR {nir} ne correspond pas à LE GOFF-KERVELLA"  # the ASP's free text
    await answer(client, own, batch, document, codeTraitement="3301", libelleTraitement=quoting)
    rejected = (await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)).json()
    assert rejected["asp_label"] == quoting
    parcours = (
        await client.get("/v1/parcours", headers=own, params={"salarie_id": salarie["id"]})
    ).json()
    for p in parcours["items"]:
        await client.post(
            f"/v1/parcours/{p['id']}/exit",
            headers=own,
            json={"exit_date": "2024-09-30", "motif": "cdi"},
        )
    gone = await client.delete(f"/v1/salaries/{salarie['id']}", headers=own)
    assert gone.status_code == 204, gone.text
    profile = await client.get(f"/v1/salaries/{salarie['id']}/asp-profile", headers=own)
    assert profile.status_code == 404
    download = await client.get(f"{batches}/{batch['id']}", headers=own)
    assert download.status_code == 410
    assert nir not in download.text
    assert "GOFF" not in download.text
    kept = await client.get(f"/v1/fiches-salarie/{fiche['id']}", headers=own)
    assert (kept.status_code, kept.json()["asp_code"], kept.json()["asp_label"]) == (
        200,
        "3301",
        None,
    )


async def test_another_structure_reaches_none_of_it(
    client: httpx.AsyncClient,
    own: dict[str, str],
    admin_headers: dict[str, str],
    structure: dict[str, Any],
    make_key: KeyMaker,
) -> None:
    salarie, nir = await hired(client, own, admin_headers, structure)
    fiche = await ready_fiche(client, own, structure, salarie, nir=nir)
    neighbour = await create_structure(client, admin_headers)
    other = bearer(
        await make_key(Role.structure, (Scope.read, Scope.write), structure_id=neighbour["id"])
    )
    for url in (
        f"/v1/fiches-salarie/{fiche['id']}",
        f"/v1/salaries/{salarie['id']}/asp-profile",
        f"/v1/structures/{structure['id']}/fiches-salarie",
        f"/v1/structures/{structure['id']}/asp/batches",
    ):
        assert (await client.get(url, headers=other)).status_code == 404, url
    built = await client.post(
        f"/v1/structures/{structure['id']}/asp/batches", headers=other, json={}
    )
    assert built.status_code == 404


async def test_the_asp_reference_tables(client: httpx.AsyncClient, own: dict[str, str]) -> None:
    orienteurs = (await client.get("/v1/reference/asp/orienteurs", headers=own)).json()
    assert orienteurs["items"][2] == {"code": "03", "label": "France Travail"}
    assert (
        len((await client.get("/v1/reference/asp/types-voie", headers=own)).json()["items"]) == 93
    )
    brest = await client.get("/v1/reference/asp/communes", headers=own, params={"code": "29019"})
    assert [(c["name"], c["end_date"]) for c in brest.json()["items"]] == [
        ("BREST", "1999-12-31"),
        ("BREST", None),
    ]
    noumea = await client.get(
        "/v1/reference/asp/communes", headers=own, params={"name": "noum", "current": "true"}
    )
    assert [(c["code"], c["as_country"]) for c in noumea.json()["items"]] == [("98818", "818")]
    countries = await client.get("/v1/reference/asp/countries", headers=own, params={"limit": 500})
    assert len(countries.json()["items"]) == 327
    unknown = await client.get("/v1/reference/asp/nothing", headers=own)
    assert unknown.status_code == 422


async def test_the_demo_fiches_pass_every_check_and_round_trip_through_a_return_file(
    session: AsyncSession, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await demo.load(session)
    await session.commit()
    structures = [  # the demo's, not what other tests committed
        (await client.get("/v1/structures", headers=admin_headers, params={"siret": siret})).json()[
            "items"
        ][0]
        for siret, *_ in demo.STRUCTURES
    ]
    integrated = 0
    for structure in structures:
        batches = f"/v1/structures/{structure['id']}/asp/batches"
        built = await client.post(batches, headers=admin_headers, json={"movement": "C"})
        if structure["kind"] == "EITI":  # no salarié in the demo's EITI
            assert built.status_code == 409
            continue
        assert built.status_code == 201, built.text
        assert (built.json()["line_count"], built.json()["skipped"]) == (5, [])
        document = orjson.loads(
            (await client.get(f"{batches}/{built.json()['id']}", headers=admin_headers)).content
        )
        applied = await answer(client, admin_headers, built.json(), document, codeTraitement="0000")
        assert applied.status_code == 200, applied.text
        assert {line["status"] for line in applied.json()["lines"]} == {"processed"}
        integrated += len(applied.json()["lines"])
    assert integrated == 40
