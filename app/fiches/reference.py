"""The ASP's small reference tables, as its files define them (les-emplois'
``itou/asp/reference/``): the codes a fiche salarié may carry, with their labels.

Codes are written as the ASP expects them on a line: zero-padded to 2 characters where
its files store them unpadded. The large tables (communes, countries) are in
PostgreSQL (``app/fiches/data``)."""

from enum import StrEnum

from app.reference.enums import StructureKind

Table = tuple[tuple[str, str], ...]

MESURES: Table = (
    ("AI_DC", "Droit Commun - Association Intermédiaire"),
    ("ACI_DC", "Droit Commun - Atelier et Chantier d'Insertion"),
    ("EI_DC", "Droit Commun -  Entreprise d'Insertion"),
    ("ETTI_DC", "Droit Commun -  Entreprise de Travail Temporaire d'Insertion"),
    ("EITI_DC", "Entreprise d'Insertion par le Travail Indépendant"),
)
MESURE_OF_KIND = {
    StructureKind.AI: "AI_DC",
    StructureKind.ACI: "ACI_DC",
    StructureKind.EI: "EI_DC",
    StructureKind.ETTI: "ETTI_DC",
    StructureKind.EITI: "EITI_DC",
}

NIVEAUX_FORMATION: Table = (
    ("00", "PERSONNES AVEC QUALIFICATIONS NON CERTIFIANTES"),
    ("01", "JAMAIS SCOLARISE"),
    ("10", "TROISIEME CYCLE OU ECOLE D'INGENIEUR"),
    ("20", "FORMATION DE NIVEAU LICENCE"),
    ("30", "FORMATION DE NIVEAU BTS OU DUT"),
    ("40", "FORMATION DE NIVEAU BAC"),
    ("41", "BREVET DE TECHNICIEN OU BACCALAUREAT PROFESSIONNEL"),
    ("50", "FORMATION DE NIVEAU CAP OU BEP"),
    ("51", "DIPLÔME OBTENU CAP OU BEP"),
    ("60", "FORMATION COURTE D'UNE DUREE D'UN AN"),
    ("70", "PAS DE FORMATION AU DELA DE LA SCOLARITE OBLIG."),
)

# 99 "Non connu" closed in 2010 and is never sent
ORIENTEURS: Table = (
    ("01", "Mission locale"),
    ("02", "CAP emploi"),
    ("03", "France Travail"),
    ("04", "PLIE - Plan local pour l'insertion et l'emploi"),
    ("05", "Service social du conseil départemental"),
    ("06", "Autre prescripteur habilité au niveau local"),
    ("07", "Candidature spontanée"),
    ("08", "Orienteur (prescripteur non habilité)"),
    ("09", "SPIP - Service pénitentiaire d'insertion et de probation"),
    ("10", "PJJ - Protection judiciaire de la jeunesse"),
    ("11", "CCAS - Centre (inter)communal d'action sociale"),
    ("12", "CHRS - Centre d'hébergement et de réinsertion sociale"),
    ("13", "CIDFF - Centre d'information sur les droits des femmes et des familles"),
    ("14", "Service ou club de prévention"),
    ("15", "AFPA - Agence nationale pour la formation professionnelle des adultes"),
    ("16", "PIJ-BIJ - Point/Bureau information jeunesse"),
    ("17", "CAF - Caisse d'allocation familiale"),
    ("18", "CADA - Centre d'accueil de demandeurs d'asile"),
    ("19", "ASE - Aide sociale à l'enfance"),
    ("20", "CAVA - Centre d'adaptation à la vie active"),
    ("21", "CPH - Centre provisoire d'hébergement"),
    ("22", "CHU - Centre d'hébergement d'urgence"),
    ("23", "OACAS - Organisme d'accueil communautaire et d'activité solidaire"),
)

TYPES_EMPLOYEUR: Table = (
    ("01", "EI"),
    ("02", "ETTI"),
    ("03", "AI"),
    ("04", "ACI"),
    ("05", "ESAT"),
    ("06", "ENTREPRISE ADAPTEE"),
    ("07", "AUTRES"),
)

# ref_duree_allocation_emploi: 0 (NON) is never sent, null is
DUREES: Table = (
    ("01", "MOINS DE 6 MOIS"),
    ("02", "DE 6 A 11 MOIS"),
    ("03", "DE 12 à 23 MOIS"),
    ("04", "24 MOIS ET PLUS"),
)

EXTENSIONS_VOIE: Table = (("B", "Bis"), ("T", "Ter"), ("Q", "Quater"), ("C", "Quinquies"))

GROUPES_PAYS: Table = (("1", "FRANCE"), ("2", "CEE"), ("3", "HORS CEE"))

BENEFICIAIRE_RSA: Table = (
    ("NON", "Non bénéficiaire du RSA"),
    ("OUI-M", "Bénéficiaire du RSA et majoré"),
    ("OUI-NM", "Bénéficiaire du RSA et non-majoré"),
)

COTISATIONS_TI: Table = (
    ("01", "Achat/revente de marchandises"),
    ("02", "Prestations de services commerciales et artisanales"),
    ("03", "Autres prestations de services"),
    ("04", "Professions libérales règlementées relevant de la Cipav"),
    ("05", "Locations de meublés de tourisme classés"),
    ("06", "Non déterminé (contrat établi avant 2025)"),
)


def _pairs(text: str) -> Table:
    return tuple((code, label) for code, _, label in (p.partition(" ") for p in text.split("|")))


TYPES_VOIE: Table = _pairs(
    "AER Aérodrome|AGL Agglomération|AIRE Aire|ALL Allee|ACH Ancien chemin|"
    "ART Ancienne route|AV Avenue|BEGI Beguinage|BD Boulevard|BRG Bourg|CPG Camping|"
    "CAR Carrefour|CTRE Centre|CCAL Centre commercial|CHT Chateau|CHS Chaussee|"
    "CHEM Chemin|CHV Chemin vicinal|CITE Cité|CLOS Clos|CTR Contour|COR Corniche|"
    "COTE Coteaux|COUR Cour|CRS Cours|DSC Descente|DOM Domaine|ECL Ecluse|ESC Escalier|"
    "ESPA Espace|ESP Esplanade|FG Faubourg|FRM Ferme|FON Fontaine|GAL Galerie|GARE Gare|"
    "GBD Grand boulevard|GPL Grande place|GR Grande rue|GRI Grille|HAM Hameau|"
    "IMM Immeuble(s)|IMP Impasse|JARD Jardin|LD Lieu-dit|LOT Lotissement|MAIL Mail|"
    "MAIS Maison|MAS Mas|MTE Montee|PARC Parc|PRV Parvis|PAS Passage|PLE Passerelle|"
    "PCH Petit chemin|PRT Petite route|PTR Petite rue|PL Place|PTTE Placette|PLN Plaine|"
    "PLAN Plan|PLT Plateau|PONT Pont|PORT Port|PROM Promenade|QUAI Quai|QUAR Quartier|"
    "RPE Rampe|REMP Rempart|RES Residence|ROC Rocade|RPT Rond-point|RTD Rotonde|"
    "RTE Route|RUE Rue|RLE Ruelle|SEN Sente|SENT Sentier|SQ Square|TPL Terre plein|"
    "TRAV Traverse|VEN Venelle|VTE Vieille route|VCHE Vieux chemin|VILL Villa|"
    "VLGE Village|VOIE Voie|ZONE Zone|ZA Zone d'activite|ZAC Zone d'amenagement concerte|"
    "ZAD Zone d'amenagement differe|ZI Zone industrielle|ZUP Zone urbanisation prio"
)


class AspTable(StrEnum):
    """The small tables, by the name their endpoint carries."""

    mesures = "mesures"
    niveaux_formation = "niveaux-formation"
    orienteurs = "orienteurs"
    types_employeur = "types-employeur"
    durees = "durees"
    extensions_voie = "extensions-voie"
    types_voie = "types-voie"
    groupes_pays = "groupes-pays"
    beneficiaire_rsa = "beneficiaire-rsa"
    cotisations_ti = "cotisations-ti"


TABLES: dict[AspTable, Table] = {
    AspTable.mesures: MESURES,
    AspTable.niveaux_formation: NIVEAUX_FORMATION,
    AspTable.orienteurs: ORIENTEURS,
    AspTable.types_employeur: TYPES_EMPLOYEUR,
    AspTable.durees: DUREES,
    AspTable.extensions_voie: EXTENSIONS_VOIE,
    AspTable.types_voie: TYPES_VOIE,
    AspTable.groupes_pays: GROUPES_PAYS,
    AspTable.beneficiaire_rsa: BENEFICIAIRE_RSA,
    AspTable.cotisations_ti: COTISATIONS_TI,
}


def codes(table: Table) -> frozenset[str]:
    return frozenset(code for code, _ in table)
