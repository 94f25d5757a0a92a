"""The indicators jalon computes: what each measures, in words, and how it may be cut."""

from dataclasses import dataclass
from enum import StrEnum


class Dimension(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"
    region = "region"
    departement = "departement"
    structure_kind = "structure_kind"
    structure = "structure"
    company = "company"
    sector = "sector"


TIME = frozenset({Dimension.month, Dimension.quarter, Dimension.year})
TERRITORY = frozenset(
    {Dimension.region, Dimension.departement, Dimension.structure_kind, Dimension.structure}
)
BY_STRUCTURE = TIME | TERRITORY
BY_MISSION = TIME | TERRITORY | {Dimension.company, Dimension.sector}


class ExitCounting(StrEnum):
    """Which exits an exit indicator counts."""

    etat = "etat"  # the state's rule: parcours long enough to judge (the default)
    toutes = "toutes"  # every exit recorded


class Family(StrEnum):
    """Where an indicator's records come from: who may read it follows."""

    parcours = "parcours"  # salariés' parcours, contracts and hours: personal data behind
    structure = "structure"  # structures' annexes: no personal data
    mission = "mission"  # companies' missions: no personal data


@dataclass(frozen=True)
class Indicator:
    code: str
    label_fr: str
    label_en: str
    unit: str
    formula: str
    family: Family
    dimensions: frozenset[Dimension]
    is_rate: bool = False
    # counts the exits the state's rule keeps (or, with exit_counting=toutes, every exit)
    follows_exit_counting: bool = False


CATALOGUE = {
    indicator.code: indicator
    for indicator in [
        Indicator(
            "salaries_accompagnes",
            "Salariés accompagnés",
            "People supported",
            "salariés",
            "distinct salariés with a parcours under way on some day of the period",
            Family.parcours,
            BY_STRUCTURE,
        ),
        Indicator(
            "entrees",
            "Entrées en parcours",
            "Entries",
            "parcours",
            "parcours whose entry date falls in the period",
            Family.parcours,
            BY_STRUCTURE,
        ),
        Indicator(
            "sorties",
            "Sorties",
            "Exits",
            "parcours",
            "parcours whose exit date falls in the period, by exit category",
            Family.parcours,
            BY_STRUCTURE,
            follows_exit_counting=True,
        ),
        Indicator(
            "sorties_non_comptabilisees",
            "Sorties non comptabilisées",
            "Exits not counted",
            "parcours",
            "exits of the period the state's rule leaves out of the rates: in ACI, EI and "
            "EITI a parcours under 3 months in the structure, in AI and ETTI one with under "
            "150 hours worked (settings), by exit category",
            Family.parcours,
            BY_STRUCTURE,
        ),
        Indicator(
            "taux_sorties_dynamiques",
            "Taux de sorties dynamiques",
            "Dynamic exit rate",
            "ratio",
            "(emploi durable + emploi de transition + sortie positive) / (exits - retraits)",
            Family.parcours,
            BY_STRUCTURE,
            is_rate=True,
            follows_exit_counting=True,
        ),
        Indicator(
            "taux_emploi_durable",
            "Taux d'emploi durable",
            "Lasting employment rate",
            "ratio",
            "emploi durable / (exits - retraits)",
            Family.parcours,
            BY_STRUCTURE,
            is_rate=True,
            follows_exit_counting=True,
        ),
        Indicator(
            "duree_moyenne_contrat_mois",
            "Durée moyenne des contrats",
            "Average contract length",
            "months",
            "mean length (days / 30.4375) of contracts ending in the period, counted once",
            Family.parcours,
            BY_STRUCTURE,
            is_rate=True,
        ),
        Indicator(
            "duree_moyenne_parcours_mois",
            "Durée moyenne des parcours",
            "Average parcours length",
            "months",
            "mean length (days / 30.4375) of parcours exited in the period",
            Family.parcours,
            BY_STRUCTURE,
            is_rate=True,
        ),
        Indicator(
            "heures_travaillees",
            "Heures travaillées",
            "Hours worked",
            "hours",
            "hours recorded on contracts for the months of the period",
            Family.parcours,
            BY_STRUCTURE,
        ),
        Indicator(
            "etp_realises",
            "ETP réalisés",
            "FTE worked",
            "ETP",
            "hours worked / reference annual hours of the structure's kind, scaled to the "
            "length of the period",
            Family.parcours,
            BY_STRUCTURE,
        ),
        Indicator(
            "etp_conventionnes",
            "ETP conventionnés",
            "FTE funded",
            "ETP",
            "ETP of the annexes financières, weighted by the days they cover in the period",
            Family.structure,
            BY_STRUCTURE,
        ),
        Indicator(
            "taux_realisation_etp",
            "Taux de réalisation",
            "FTE achievement rate",
            "ratio",
            "ETP réalisés / ETP conventionnés",
            Family.parcours,
            BY_STRUCTURE,
            is_rate=True,
        ),
        Indicator(
            "aide_au_poste",
            "Aide au poste",
            "Aid per post",
            "euros",
            "ETP réalisés each month x the socle in force for the kind that month, plus the "
            "annexe's modulation",
            Family.parcours,
            BY_STRUCTURE,
        ),
        Indicator(
            "achats_montant",
            "Achats auprès des SIAE",
            "Purchases from SIAE",
            "euros",
            "missions' amounts excluding tax, prorated by the days of the period they cover",
            Family.mission,
            BY_MISSION,
        ),
        Indicator(
            "entreprises_clientes",
            "Entreprises clientes",
            "Client companies",
            "companies",
            "distinct companies with a mission running in the period",
            Family.mission,
            BY_MISSION,
        ),
        Indicator(
            "heures_clauses_sociales",
            "Heures d'insertion (clauses sociales)",
            "Social-clause insertion hours",
            "hours",
            "hours worked on missions with a social clause, in the months of the period",
            Family.mission,
            BY_MISSION,
        ),
        Indicator(
            "secteurs_activite",
            "Secteurs d'activité",
            "Activity sectors",
            "sectors",
            "distinct sectors of the missions running in the period",
            Family.mission,
            BY_MISSION,
        ),
        Indicator(
            "freins_leves",
            "Freins levés",
            "Barriers lifted",
            "ratio",
            "freins identified in the period and lifted by its end / freins identified in "
            "the period",
            Family.parcours,
            BY_STRUCTURE,
            is_rate=True,
        ),
    ]
}
