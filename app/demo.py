"""A small, realistic demo data set: structures of each kind in Bretagne and
Occitanie, their 2025 annexes, client companies and a network. Fictional names,
valid SIRETs. Loading it twice changes nothing."""

import datetime as dt
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.companies import repository as companies
from app.networks import repository as networks
from app.networks.models import Network
from app.reference.enums import ActivitySector, CompanySize, StructureKind
from app.structures import repository as structures
from app.structures.models import Annexe

BRETAGNE = {"region_code": "53"}
OCCITANIE = {"region_code": "76"}

# (SIRET, name, kind, commune, département, région, sectors, ETP conventionnés 2025)
STRUCTURES = [
    (
        "81234501500018",
        "Chantiers du Léon",
        StructureKind.ACI,
        "29019",
        "29",
        "53",
        [ActivitySector.espaces_verts, ActivitySector.batiment_travaux_publics],
        "18",
    ),
    (
        "81234502300012",
        "Recyclerie de l'Odet",
        StructureKind.EI,
        "29232",
        "29",
        "53",
        [ActivitySector.recyclage_reemploi],
        "12",
    ),
    (
        "81234503100015",
        "Intérim Solidaire Rennes",
        StructureKind.ETTI,
        "35238",
        "35",
        "53",
        [ActivitySector.logistique_transport, ActivitySector.industrie],
        "9",
    ),
    (
        "81234504900017",
        "Coup de Main Vannes",
        StructureKind.AI,
        "56260",
        "56",
        "53",
        [ActivitySector.services_a_la_personne, ActivitySector.proprete_nettoyage],
        "15",
    ),
    (
        "81234505600012",
        "Indépendants Solidaires Armor",
        StructureKind.EITI,
        "22278",
        "22",
        "53",
        [ActivitySector.services_aux_entreprises],
        "6",
    ),
    (
        "81234506400016",
        "Jardins de la Garonne",
        StructureKind.ACI,
        "31555",
        "31",
        "76",
        [ActivitySector.agriculture_maraichage],
        "24",
    ),
    (
        "81234507200019",
        "Atelier Textile Montpelliérain",
        StructureKind.EI,
        "34172",
        "34",
        "76",
        [ActivitySector.textile],
        "10",
    ),
    (
        "81234508000012",
        "Occitanie Intérim Insertion",
        StructureKind.ETTI,
        "30189",
        "30",
        "76",
        [ActivitySector.batiment_travaux_publics],
        "8",
    ),
    (
        "81234509800014",
        "Services Partagés du Tarn",
        StructureKind.AI,
        "81004",
        "81",
        "76",
        [ActivitySector.proprete_nettoyage, ActivitySector.restauration],
        "14",
    ),
    (
        "81234510600015",
        "Numérique Inclusif Toulouse",
        StructureKind.EITI,
        "31555",
        "31",
        "76",
        [ActivitySector.numerique],
        "5",
    ),
]

# (SIRET, name, size, sector, région)
COMPANIES = [
    (
        "81234511400019",
        "Transports Kerjean",
        CompanySize.PME,
        ActivitySector.logistique_transport,
        "53",
    ),
    ("81234512200012", "Aéro Blagnac Industries", CompanySize.GE, ActivitySector.industrie, "76"),
    (
        "81234513000015",
        "Bâtir l'Ouest",
        CompanySize.ETI,
        ActivitySector.batiment_travaux_publics,
        "53",
    ),
]

NETWORK_NAME = "Inclusion Bretagne (réseau de démonstration)"
YEAR = 2025


async def load(session: AsyncSession) -> dict[str, int]:
    """Adds what is missing of the data set; returns how many records it added."""
    added = {"structures": 0, "annexes": 0, "companies": 0, "networks": 0}
    bretagne_ids = []
    for siret, name, kind, commune, departement, region, sectors, etp in STRUCTURES:
        structure = await structures.siret_owner(session, siret)
        if structure is None:
            structure = await structures.create(
                session,
                {
                    "siret": siret,
                    "name": name,
                    "kind": kind,
                    "commune_code": commune,
                    "departement_code": departement,
                    "region_code": region,
                    "sectors": [sector.value for sector in sectors],
                    "contact_name": "Accueil",
                    "contact_email": "contact@"
                    + name.lower().replace(" ", "-").replace("'", "")
                    + ".example",
                },
            )
            added["structures"] += 1
            await structures.add_annexe(
                session,
                Annexe(
                    structure_id=structure.id,
                    year=YEAR,
                    etp_conventionnes=Decimal(etp),
                    modulation_rate=Decimal("5"),
                    start_date=dt.date(YEAR, 1, 1),
                    end_date=dt.date(YEAR, 12, 31),
                ),
            )
            added["annexes"] += 1
        if region == "53":
            bretagne_ids.append(structure.id)
    for siret, name, size, sector, region in COMPANIES:
        if await companies.by_siret(session, siret) is None:
            await companies.create(
                session,
                {
                    "siret": siret,
                    "name": name,
                    "size": size,
                    "sector": sector,
                    "region_code": region,
                },
            )
            added["companies"] += 1
    if not await networks.by_name(session, NETWORK_NAME):
        network = await networks.add(session, Network(name=NETWORK_NAME, departement_codes=["29"]))
        await networks.add_members(session, network.id, bretagne_ids)
        added["networks"] += 1
    return added


async def load_into(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            return await load(session)
    finally:
        await engine.dispose()
