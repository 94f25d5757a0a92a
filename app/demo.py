"""A small, realistic demo data set: structures of each kind in Bretagne and
Occitanie, their 2025 annexes, client companies, a network, and in each structure
salariés with parcours, contracts over two years, monthly hours, accompaniment and
exits of every category, all checked by the rules engine. Fictional people, valid
SIRETs. Loading it twice changes nothing."""

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.auth import Caller
from app.companies import repository as companies
from app.indicators import repository as indicators
from app.indicators.models import IndicatorObjective, ScopeKind
from app.keys.models import Role
from app.missions import repository as missions
from app.missions import service as mission_service
from app.missions.schemas import MissionInput, SocialClause
from app.networks import repository as networks
from app.networks.models import Network
from app.parcours import repository as parcours_repository
from app.parcours import service as parcours_service
from app.parcours.models import Action, Contract, FreinRecord, Objective, Parcours
from app.parcours.parameters import RuleParameters
from app.parcours.rules import ContractFacts, add_months, last_day_of_months, pass_iae_end
from app.reference.enums import (
    EXIT_CATEGORY_OF_MOTIF,
    ActionKind,
    ActivitySector,
    CompanySize,
    ContractKind,
    EligibilityCriterion,
    ExitMotif,
    Frein,
    Gender,
    MissionKind,
    MissionStatus,
    ParcoursStatus,
    Severity,
    StructureKind,
)
from app.salaries import repository as salaries
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
    added = {
        "structures": 0,
        "annexes": 0,
        "companies": 0,
        "networks": 0,
        "salaries": 0,
        "missions": 0,
        "objectives": 0,
    }
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
    added["salaries"] = await load_parcours(session)
    added["missions"] = await load_missions(session)
    added["objectives"] = await load_objectives(session)
    return added


async def load_into(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            return await load(session)
    finally:
        await engine.dispose()


FIRST_NAMES = ["Maëlle", "Yannick", "Sofiane", "Inès", "Gwenaël", "Fatou", "Pierre", "Léa"]
LAST_NAMES = ["Le Goff", "Martin", "Benali", "Tanguy", "Diallo", "Roux", "Kerdraon", "Garcia"]
EXITS = [
    ExitMotif.cdi,
    ExitMotif.cdd_moins_6_mois,
    ExitMotif.formation_qualifiante,
    ExitMotif.chomage,
    ExitMotif.fin_periode_essai,
]
SALARIES_PER_STRUCTURE = 5
CONTRACT_KIND = {
    StructureKind.ACI: ContractKind.cddi,
    StructureKind.EI: ContractKind.cddi,
    StructureKind.AI: ContractKind.cddi,
    StructureKind.ETTI: ContractKind.ctti,
}


async def load_parcours(session: AsyncSession) -> int:
    """Salariés of the demo structures and everything in their parcours; returns how
    many salariés it added."""
    rules = RuleParameters()
    added = 0
    for index, (siret, *_rest) in enumerate(STRUCTURES):
        structure = await structures.siret_owner(session, siret)
        assert structure is not None
        kind = CONTRACT_KIND.get(structure.kind)
        if kind is None:  # no contract kind fits an EITI's independent workers
            continue
        for number in range(SALARIES_PER_STRUCTURE):
            person = (index * SALARIES_PER_STRUCTURE + number) % len(FIRST_NAMES)
            first_name, last_name = FIRST_NAMES[person], f"{LAST_NAMES[number]} ({index + 1})"
            birth_date = dt.date(1975 + 3 * number, 1 + index, 10)
            if await salaries.duplicate_of(
                session,
                structure.id,
                nir_hash=None,
                first_name=first_name,
                last_name=last_name,
                birth_date=birth_date,
            ):
                continue
            await _one_parcours(
                session,
                structure.id,
                kind,
                rules,
                number,
                first_name,
                last_name,
                birth_date,
                pass_number=f"99999{index:04d}{number:03d}",  # unique within the data set
            )
            added += 1
    return added


async def _one_parcours(
    session: AsyncSession,
    structure_id: uuid.UUID,
    kind: ContractKind,
    rules: RuleParameters,
    number: int,
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    *,
    pass_number: str,
) -> None:
    entry = dt.date(2024, 1 + 2 * number, 15)
    salarie = await salaries.create(
        session,
        {
            "structure_id": structure_id,
            "first_name": first_name,
            "last_name": last_name,
            "birth_date": birth_date,
            "gender": Gender.femme if number % 2 else Gender.homme,
            "criteria": [EligibilityCriterion.rsa],
            "residence_qpv": number % 3 == 0,
        },
    )
    pass_start = entry - dt.timedelta(days=10)
    await salaries.set_pass(
        session,
        salarie,
        number=pass_number,
        start_date=pass_start,
        end_date=pass_iae_end(pass_start, [], rules),
    )
    parcours = await parcours_repository.add(
        session, Parcours(salarie_id=salarie.id, structure_id=structure_id, entry_date=entry)
    )
    first_end = last_day_of_months(entry, 6)
    second_end = last_day_of_months(first_end + dt.timedelta(days=1), 6)
    for start, end in [(entry, first_end), (first_end + dt.timedelta(days=1), second_end)]:
        terms = ContractFacts(kind, start, end, Decimal(26 if number % 2 else 30))
        violations = await parcours_service.contract_violations(session, parcours, terms, rules)
        assert not any(v.severity is Severity.blocking for v in violations), violations
        contract = await parcours_repository.add(
            session,
            Contract(
                parcours_id=parcours.id,
                salarie_id=salarie.id,
                structure_id=structure_id,
                kind=kind,
                start_date=start,
                end_date=end,
                weekly_hours=terms.weekly_hours,
                warnings=[parcours_service.as_problems([v])[0].model_dump() for v in violations],
            ),
        )
        month = start.replace(day=1)
        while month <= end:
            worked = min(end, add_months(month, 1) - dt.timedelta(days=1)) - max(start, month)
            hours = (terms.weekly_hours * (worked.days + 1) / 7).quantize(Decimal("0.01"))
            await parcours_repository.set_hours(session, contract.id, month, hours)
            month = add_months(month, 1)
    for offset, action in enumerate([ActionKind.entretien, ActionKind.formation, ActionKind.bilan]):
        await parcours_repository.add(
            session,
            Action(
                parcours_id=parcours.id,
                kind=action,
                done_on=entry + dt.timedelta(days=30 * (offset + 1)),
                duration_minutes=45 + 15 * offset,
            ),
        )
    for offset, frein in enumerate([Frein.mobilite, Frein.logement][: 1 + number % 2]):
        identified = entry + dt.timedelta(days=7 + offset)
        lifted = identified + dt.timedelta(days=90) if (number + offset) % 2 == 0 else None
        await parcours_repository.add(
            session,
            FreinRecord(
                parcours_id=parcours.id, kind=frein, identified_on=identified, lifted_on=lifted
            ),
        )
    await parcours_repository.add(
        session,
        Objective(
            parcours_id=parcours.id, label="Permis B", target_date=entry + dt.timedelta(days=240)
        ),
    )
    motif = EXITS[number % len(EXITS)]
    await parcours_repository.record_exit(
        session,
        parcours,
        {
            "status": ParcoursStatus.sorti,
            "exit_date": second_end,
            "exit_motif": motif,
            "exit_category": EXIT_CATEGORY_OF_MOTIF[motif],
        },
    )


# (company SIRET, its reference, structure SIRET, kind, sector, commune, months, hours, € HT,
#  insertion hours of a social clause)
MISSIONS = [
    (
        "81234511400019",
        "KJ-2025-001",
        "81234501500018",
        MissionKind.prestation,
        ActivitySector.espaces_verts,
        "29019",
        (3, 10),
        "1200",
        "48500.00",
        "600",
    ),
    (
        "81234511400019",
        "KJ-2025-002",
        "81234504900017",
        MissionKind.mise_a_disposition,
        ActivitySector.logistique_transport,
        "56260",
        (1, 12),
        "900",
        "27900.00",
        None,
    ),
    (
        "81234511400019",
        "KJ-2025-003",
        "81234502300012",
        MissionKind.prestation,
        ActivitySector.recyclage_reemploi,
        "29232",
        (2, 7),
        "400",
        "15600.00",
        None,
    ),
    (
        "81234512200012",
        "ABI-PO-7781",
        "81234507200019",
        MissionKind.sous_traitance,
        ActivitySector.textile,
        "34172",
        (4, 9),
        "2200",
        "96000.00",
        None,
    ),
    (
        "81234512200012",
        "ABI-PO-7790",
        "81234508000012",
        MissionKind.mise_a_disposition,
        ActivitySector.industrie,
        "31555",
        (1, 6),
        "1500",
        "52500.00",
        "800",
    ),
    (
        "81234513000015",
        "BO-CH-2025-14",
        "81234506400016",
        MissionKind.chantier,
        ActivitySector.batiment_travaux_publics,
        "31555",
        (5, 11),
        "3000",
        "187000.00",
        "1500",
    ),
]


async def load_missions(session: AsyncSession) -> int:
    """Missions of the demo companies, with hours worked by the AI's salariés; returns
    how many missions it added."""
    added = 0
    for (
        company_siret,
        ref,
        structure_siret,
        kind,
        sector,
        commune,
        months,
        hours,
        amount,
        clause,
    ) in MISSIONS:
        company = await companies.by_siret(session, company_siret)
        structure = await structures.siret_owner(session, structure_siret)
        assert company is not None
        assert structure is not None
        if await missions.by_ref(session, company.id, ref) is not None:
            continue
        mission = MissionInput(
            structure_id=structure.id,
            title=f"{sector.value.replace('_', ' ').capitalize()} ({ref})",
            kind=kind,
            sector=sector,
            commune_code=commune,
            start_date=dt.date(YEAR, months[0], 1),
            end_date=add_months(dt.date(YEAR, months[1], 1), 1) - dt.timedelta(days=1),
            planned_hours=Decimal(hours),
            amount_ht=Decimal(amount),
            social_clause=SocialClause(insertion_hours_target=Decimal(clause)) if clause else None,
        )
        refs = await mission_service.References.load(session, [structure.id])
        row = mission_service.to_row(mission, ref, company.id, refs)
        assert isinstance(row, dict), row
        await missions.upsert(session, [row])
        added += 1
        created = await missions.by_ref(session, company.id, ref)
        assert created is not None
        await missions.save(session, created, {"status": MissionStatus.en_cours})
        await _work_on(session, created.id, structure.id, mission)
    return added


async def _work_on(
    session: AsyncSession, mission_id: uuid.UUID, structure_id: uuid.UUID, mission: MissionInput
) -> None:
    """Two salariés of the structure work 20 h a month on the mission (well under the
    AI cap of 480 h with one company)."""
    people = await salaries.first_of_structure(session, structure_id, 2)
    for person in people:
        await missions.assign(session, mission_id, person.id)
        month = mission.start_date
        while month <= mission.end_date:
            await missions.set_hours(session, mission_id, person.id, month, Decimal(20))
            month = add_months(month, 1)


# (structure SIRET or None for the network, indicator, target) over 2024-2025
OBJECTIVES = [
    ("81234501500018", "taux_sorties_dynamiques", "0.60"),
    ("81234501500018", "heures_travaillees", "12000"),
    ("81234501500018", "freins_leves", "0.50"),
    ("81234501500018", "taux_realisation_etp", "0.80"),
    (None, "salaries_accompagnes", "30"),
    (None, "taux_emploi_durable", "0.25"),
]


async def load_objectives(session: AsyncSession) -> int:
    """Targets for a structure and the network, so that the dashboard shows the
    seed's valeur cible / valeur atteinte."""
    network = await networks.by_name(session, NETWORK_NAME)
    assert network is not None
    if await indicators.page(session, _admin(), after=None, limit=1):
        return 0
    for siret, code, target in OBJECTIVES:
        structure = await structures.siret_owner(session, siret) if siret else None
        await indicators.add(
            session,
            IndicatorObjective(
                indicator=code,
                scope_kind=ScopeKind.structure if structure else ScopeKind.network,
                structure_id=structure.id if structure else None,
                network_id=None if structure else network.id,
                period_start=dt.date(2024, 1, 1),
                period_end=dt.date(2025, 12, 31),
                target_value=Decimal(target),
            ),
        )
    return len(OBJECTIVES)


def _admin() -> Caller:
    return Caller(key_id=uuid.uuid4(), role=Role.admin, scopes=frozenset())
