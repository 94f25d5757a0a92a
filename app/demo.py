"""A small, realistic demo data set: structures of each kind in Bretagne and
Occitanie, their annexes of the current year, client companies, a network, and in each
structure salariés with parcours, contracts, monthly hours, accompaniment and exits of
every category, all checked by the rules engine. Dated relative to the day it is loaded:
parcours under way, a contract and a PASS IAE ending within the month, missions running
now. Fictional people, valid SIRETs. Loading it twice changes nothing."""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.auth import Caller
from app.companies import repository as companies
from app.companies import service as companies_service
from app.companies.schemas import CompanyCreate
from app.db import driver_connection
from app.fiches import service as fiches_service
from app.fiches.schemas import AspProfileWrite, FicheStatus, Rsa
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
from app.parcours.models import Action, FreinRecord, Objective
from app.parcours.schemas import ContractCreate, ExitCreate
from app.reference.enums import (
    ActionKind,
    ActivitySector,
    CompanySize,
    ContractKind,
    DiagnosticAuthor,
    EligibilityCriterion,
    ExitMotif,
    Frein,
    Gender,
    MissionKind,
    MissionStatus,
    StructureKind,
)
from app.rules import RuleParameters, add_months, last_day_of_months
from app.salaries import repository as salaries
from app.salaries import service as salaries_service
from app.salaries.models import Salarie
from app.salaries.schemas import (
    DiagnosticCreate,
    DiagnosticCriterion,
    PassIaeSet,
    SalarieCreate,
)
from app.settings import Settings
from app.structures import repository as structures
from app.structures import service as structures_service
from app.structures.models import Structure
from app.structures.schemas import AnnexeCreate, Contact, StructureCreate

BRETAGNE = {"region_code": "53"}
OCCITANIE = {"region_code": "76"}

# (SIRET, name, kind, commune, département, région, sectors, ETP conventionnés this year)
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
ADMIN = Caller.of_role(Role.admin)  # the demo writes as an admin key would
# the annexes' 5 % fit the default setting, and so any instance that keeps it
DEFAULT_MAX_MODULATION: Decimal = Settings.model_fields["max_modulation_rate"].default


async def load(session: AsyncSession, today: dt.date | None = None) -> dict[str, int]:
    """Adds what is missing of the data set, dated relative to ``today``: parcours under
    way and others ended, contracts and a PASS IAE ending within the month, missions
    running now, the current year's annexes. Returns how many records it added."""
    today = today or dt.date.today()
    year = today.year
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
            slug = name.lower().replace(" ", "-").replace("'", "")
            body = StructureCreate(
                siret=siret,
                name=name,
                kind=kind,
                commune_code=commune,
                departement_code=departement,
                region_code=region,
                sectors=sectors,
                contact=Contact(name="Accueil", email=f"contact@{slug}.example"),
            )
            structure = await structures_service.register_structure(session, body)
            added["structures"] += 1
            annexe = AnnexeCreate(
                year=year,
                posts=Decimal(etp),
                modulation_rate=Decimal("5"),
                start_date=dt.date(year, 1, 1),
                end_date=dt.date(year, 12, 31),
            )
            await structures_service.add_annexe(
                session, structure.id, annexe, max_modulation_rate=DEFAULT_MAX_MODULATION
            )
            added["annexes"] += 1
        if region == "53":
            bretagne_ids.append(structure.id)
    for siret, name, size, sector, region in COMPANIES:
        if await companies.by_siret(session, siret) is None:
            company = CompanyCreate(
                siret=siret, name=name, size=size, sector=sector, region_code=region
            )
            await companies_service.register_company(session, company)
            added["companies"] += 1
    if not await networks.by_name(session, NETWORK_NAME):
        network = await networks.add(session, Network(name=NETWORK_NAME, departement_codes=["29"]))
        await networks.add_members(session, network.id, bretagne_ids)
        added["networks"] += 1
    added["salaries"] = await load_parcours(session, today)
    added["missions"] = await load_missions(session, today)
    added["objectives"] = await load_objectives(session, today)
    return added


async def load_into(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            return await load(session)
    finally:
        await engine.dispose()


# one person each: a first name that matches their gender, a last name of their own
WOMEN = [
    "Maëlle",
    "Inès",
    "Fatou",
    "Léa",
    "Nolwenn",
    "Samira",
    "Chloé",
    "Aminata",
    "Gaëlle",
    "Julie",
    "Rose",
    "Yasmina",
    "Camille",
    "Sarah",
    "Morgane",
    "Aïcha",
    "Elodie",
    "Lina",
    "Katell",
    "Nadia",
]
MEN = [
    "Yannick",
    "Sofiane",
    "Gwenaël",
    "Pierre",
    "Mamadou",
    "Thomas",
    "Karim",
    "Loïc",
    "Erwan",
    "Mehdi",
    "Julien",
    "Moussa",
    "Ronan",
    "Hugo",
    "Bilal",
    "Nicolas",
    "Tristan",
    "Omar",
    "Maël",
    "Antoine",
]
LAST_NAMES = [
    "Le Goff",
    "Martin",
    "Benali",
    "Tanguy",
    "Diallo",
    "Roux",
    "Kerdraon",
    "Garcia",
    "Le Bihan",
    "Moreau",
    "Traoré",
    "Guillou",
    "Haddad",
    "Lefèvre",
    "Cariou",
    "Ndiaye",
    "Bernard",
    "Le Gall",
    "Mansouri",
    "Petit",
    "Quéré",
    "Camara",
    "Dubois",
    "Le Roux",
    "Belkacem",
    "Fabre",
    "Jaouen",
    "Sow",
    "Girard",
    "Le Meur",
    "Rahmani",
    "Vidal",
    "Prigent",
    "Keita",
    "Mercier",
    "Le Bris",
    "Ouali",
    "Faure",
    "Le Floch",
    "Cissé",
]
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


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    gender: Gender
    birth_date: dt.date
    pass_number: str


def timeline(number: int, today: dt.date) -> tuple[dt.date, bool]:
    """When the structure's salarié ``number`` entered, and whether they have left: three
    parcours ended 10, 6 and 2 months ago; one whose contract and PASS IAE end in 20
    days; one that began 4 months ago."""
    if number < 3:
        return add_months(today, -(22 - 4 * number)), True
    if number == 3:
        return add_months(today + dt.timedelta(days=21), -12), False
    return add_months(today, -4), False


async def load_parcours(session: AsyncSession, today: dt.date) -> int:
    """Salariés of the demo structures and everything in their parcours; returns how
    many salariés it added."""
    rules = RuleParameters()
    added = 0
    people = iter(range(len(LAST_NAMES)))
    for index, (siret, *_rest) in enumerate(STRUCTURES):
        structure = await structures.siret_owner(session, siret)
        assert structure is not None
        kind = CONTRACT_KIND.get(structure.kind)
        if kind is None:  # no contract kind fits an EITI's independent workers
            continue
        for number in range(SALARIES_PER_STRUCTURE):
            person = next(people)
            woman = person % 2 == 1
            someone = Person(
                first_name=(WOMEN if woman else MEN)[person // 2],
                last_name=LAST_NAMES[person],
                gender=Gender.femme if woman else Gender.homme,
                birth_date=dt.date(1975 + 3 * number, 1 + index, 10),
                pass_number=f"99999{index:04d}{number:03d}",  # unique within the data set
            )
            if await salaries.duplicate_of(
                session,
                structure.id,
                nir_hash=None,
                first_name=someone.first_name,
                last_name=someone.last_name,
                birth_date=someone.birth_date,
            ):
                continue
            entry, ended = timeline(number, today)
            motif = EXITS[(index + number) % len(EXITS)] if ended else None
            await _one_parcours(
                session, structure, kind, rules, someone, entry, motif, today, number
            )
            added += 1
    return added


async def _one_parcours(
    session: AsyncSession,
    structure: Structure,
    kind: ContractKind,
    rules: RuleParameters,
    person: Person,
    entry: dt.date,
    motif: ExitMotif | None,
    today: dt.date,
    number: int,
) -> None:
    identity = SalarieCreate(
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        gender=person.gender,
        criteria=[EligibilityCriterion.rsa],
        residence_qpv=number % 3 == 0,
        commune_code=structure.commune_code,
    )
    salarie = await salaries_service.register_salarie(session, structure.id, identity, None)
    # the prescriber's diagnostic the hire rests on, made 10 days before the entry
    diagnostic = DiagnosticCreate(
        made_on=entry - dt.timedelta(days=10),
        author=DiagnosticAuthor.prescripteur,
        criteria=[DiagnosticCriterion(criterion=EligibilityCriterion.rsa, certified=True)],
    )
    await salaries_service.record_diagnostic(session, salarie, diagnostic, rules, today)
    first_end = last_day_of_months(entry, 6)
    second_end = last_day_of_months(first_end + dt.timedelta(days=1), 6)
    # a PASS IAE issued 10 days before the entry; the one ending soon, with the contract
    pass_start = (
        second_end - dt.timedelta(days=rules.pass_iae_validity_days - 1)
        if second_end > today and second_end <= today + dt.timedelta(days=30)
        else entry - dt.timedelta(days=10)
    )
    pass_iae = PassIaeSet(number=person.pass_number, start_date=pass_start)
    await salaries_service.set_pass(session, salarie, pass_iae, rules)
    parcours = await parcours_service.open_parcours(session, salarie, entry, rules)
    connection = await driver_connection(session)
    for start, end in [(entry, first_end), (first_end + dt.timedelta(days=1), second_end)]:
        terms = ContractCreate(
            kind=kind,
            start_date=start,
            end_date=end,
            weekly_hours=Decimal(26 if number % 2 else 30),
        )
        contract_id = await parcours_service.sign_contract(session, parcours, terms, rules)
        month = start.replace(day=1)
        while month <= min(end, today):  # hours worked so far, none ahead
            worked = min(end, add_months(month, 1) - dt.timedelta(days=1), today) - max(
                start, month
            )
            hours = (terms.weekly_hours * (worked.days + 1) / 7).quantize(Decimal("0.01"))
            recorded = await parcours_service.record_hours(
                connection, ADMIN, contract_id, month, hours, rules
            )
            assert recorded is not None
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
    await _fiche_salarie(session, structure, salarie, person, number)
    if motif is None:
        return
    await parcours_service.record_exit(
        session, parcours, ExitCreate(exit_date=second_end, motif=motif)
    )


# the postcode of each demo commune (the fiche salarié's address)
DEMO_POSTCODES = {
    "29019": "29200",
    "29232": "29000",
    "35238": "35000",
    "56260": "56000",
    "22278": "22000",
    "31555": "31000",
    "34172": "34000",
    "30189": "30000",
    "81004": "81000",
}
# the demo records no NIR: the salariés carry an NTT, and nothing is sealed or opened
NO_NIR_KEY = b""


async def _fiche_salarie(
    session: AsyncSession, structure: Structure, salarie: Salarie, person: Person, number: int
) -> None:
    """The salarié's ASP profile and their fiche salarié, ready for the next batch."""
    profile = AspProfileWrite(
        birth_commune_code=structure.commune_code,
        ntt=("2" if person.gender is Gender.femme else "1") + structure.siren + salarie.id.hex[:20],
        street_number=str(3 + number),
        street_type="RUE",
        street_name="de la Republique",
        postal_code=DEMO_POSTCODES[structure.commune_code],
        education_level=("50", "40", "70", "41", "01")[number % 5],
        orienteur=("03", "01", "05", "07", "08")[number % 5],
        unemployed_since=("03", "04", "02", "03", "01")[number % 5],
        rsa=Rsa.OUI_NM,
        rsa_since="02",
        single_parent=number % 2 == 1,
        mobility_problem=number % 3 == 0,
    )
    await fiches_service.save_profile(session, salarie, profile, NO_NIR_KEY)
    pass_iae = await salaries.pass_of(session, salarie.id)
    fiche = await fiches_service.create_fiche(session, structure, salarie, pass_iae)
    await fiches_service.move(session, fiche, FicheStatus.ready, NO_NIR_KEY, dry_run=False)


# (company SIRET, its reference, structure SIRET, kind, sector, commune, months, hours, € HT,
#  insertion hours of a social clause)
MISSIONS = [
    (
        "81234511400019",
        "KJ-001",
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
        "KJ-002",
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
        "KJ-003",
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
        "BO-CH-14",
        "81234506400016",
        MissionKind.chantier,
        ActivitySector.batiment_travaux_publics,
        "31555",
        (4, 11),
        "3000",
        "187000.00",
        "1500",
    ),
]


async def load_missions(session: AsyncSession, today: dt.date) -> int:
    """Missions of the demo companies running now (their month 4 is the current one),
    with hours worked by the AI's salariés so far; returns how many missions it added."""
    month_4 = today.replace(day=1)
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
        connection = await driver_connection(session)
        if await missions.by_reference(connection, company.id, ref) is not None:
            continue
        mission = MissionInput(
            structure_id=structure.id,
            title=f"{sector.value.replace('_', ' ').capitalize()} ({ref})",
            kind=kind,
            sector=sector,
            commune_code=commune,
            start_date=add_months(month_4, months[0] - 4),
            end_date=add_months(month_4, months[1] - 3) - dt.timedelta(days=1),
            planned_hours=Decimal(hours),
            amount_ht=Decimal(amount),
            social_clause=SocialClause(insertion_hours_target=Decimal(clause)) if clause else None,
        )
        written = await mission_service.write_mission(
            connection, mission, ref, company.id, replace=False
        )
        added += 1
        mission_id = uuid.UUID(str(written.shown.mission["id"]))
        # running already: the demo skips the company's and the structure's moves
        await missions.set_status(connection, mission_id, MissionStatus.en_cours)
        await _work_on(session, mission_id, structure.id, mission, today)
    return added


async def _work_on(
    session: AsyncSession,
    mission_id: uuid.UUID,
    structure_id: uuid.UUID,
    mission: MissionInput,
    today: dt.date,
) -> None:
    """Two salariés of the structure work 20 h a month on the mission (well under the
    AI cap of 480 h with one company)."""
    rules = RuleParameters()
    record = await missions.get_visible(session, ADMIN, mission_id)
    assert record is not None
    people = await salaries.first_of_structure(session, structure_id, 2)
    for person in people:
        await missions.assign(session, mission_id, person.id)
        month = mission.start_date
        while month <= min(mission.end_date, today):
            await mission_service.record_mission_hours(
                session, record, person.id, month, Decimal(20), rules
            )
            month = add_months(month, 1)


# (structure SIRET or None for the network, indicator, target) over last year and this one
OBJECTIVES = [
    ("81234501500018", "taux_sorties_dynamiques", "0.60"),
    ("81234501500018", "heures_travaillees", "12000"),
    ("81234501500018", "freins_leves", "0.50"),
    ("81234501500018", "taux_realisation_etp", "0.80"),
    (None, "salaries_accompagnes", "30"),
    (None, "taux_emploi_durable", "0.25"),
]


async def load_objectives(session: AsyncSession, today: dt.date) -> int:
    """Targets for a structure and the network, so that the dashboard shows the
    seed's valeur cible / valeur atteinte."""
    network = await networks.by_name(session, NETWORK_NAME)
    assert network is not None
    if await indicators.page(session, ADMIN, set_since=None, after=None, limit=1):
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
                period_start=dt.date(today.year - 1, 1, 1),
                period_end=dt.date(today.year, 12, 31),
                target_value=Decimal(target),
            ),
        )
    return len(OBJECTIVES)
