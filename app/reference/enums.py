"""The IAE vocabulary (DOMAIN.md): every enumeration the API accepts, served to
front ends by ``GET /v1/reference/enums``."""

from enum import StrEnum


class StructureKind(StrEnum):
    """Kinds of structure d'insertion par l'activité économique (SIAE)."""

    EI = "EI"  # entreprise d'insertion
    ETTI = "ETTI"  # entreprise de travail temporaire d'insertion
    AI = "AI"  # association intermédiaire
    ACI = "ACI"  # atelier et chantier d'insertion
    EITI = "EITI"  # entreprise d'insertion par le travail indépendant


class CompanySize(StrEnum):
    TPE = "TPE"  # très petite entreprise
    PME = "PME"  # petite ou moyenne entreprise
    ETI = "ETI"  # entreprise de taille intermédiaire
    GE = "GE"  # grande entreprise


class CompanyCategory(StrEnum):
    """What kind of client: the AI 480-hour rule does not apply to the last three."""

    entreprise = "entreprise"
    particulier = "particulier"
    association = "association"
    collectivite = "collectivite"


class ActivitySector(StrEnum):
    agriculture_maraichage = "agriculture_maraichage"
    espaces_verts = "espaces_verts"
    batiment_travaux_publics = "batiment_travaux_publics"
    proprete_nettoyage = "proprete_nettoyage"
    recyclage_reemploi = "recyclage_reemploi"
    industrie = "industrie"
    logistique_transport = "logistique_transport"
    commerce = "commerce"
    restauration = "restauration"
    services_a_la_personne = "services_a_la_personne"
    services_aux_entreprises = "services_aux_entreprises"
    textile = "textile"
    numerique = "numerique"
    tourisme_culture = "tourisme_culture"
    sante_social = "sante_social"
    autre = "autre"


class ContractKind(StrEnum):
    cddi = "cddi"  # contrat à durée déterminée d'insertion (EI, AI, ACI)
    ctti = "ctti"  # contrat de travail temporaire d'insertion (ETTI)
    mise_a_disposition = "mise_a_disposition"  # AI placing a salarié with a client
    cdi_inclusion = "cdi_inclusion"


CONTRACT_KINDS_BY_STRUCTURE: dict[ContractKind, frozenset[StructureKind]] = {
    ContractKind.cddi: frozenset({StructureKind.EI, StructureKind.AI, StructureKind.ACI}),
    ContractKind.ctti: frozenset({StructureKind.ETTI}),
    ContractKind.mise_a_disposition: frozenset({StructureKind.AI}),
    ContractKind.cdi_inclusion: frozenset({StructureKind.EI, StructureKind.AI, StructureKind.ACI}),
}


class ExitCategory(StrEnum):
    emploi_durable = "emploi_durable"
    emploi_transition = "emploi_transition"
    sortie_positive = "sortie_positive"
    autre_sortie = "autre_sortie"
    retrait = "retrait"  # left out of the rates


class ExitMotif(StrEnum):
    cdi = "cdi"
    cdd_6_mois_ou_plus = "cdd_6_mois_ou_plus"
    interim_6_mois_ou_plus = "interim_6_mois_ou_plus"
    fonction_publique = "fonction_publique"
    creation_entreprise = "creation_entreprise"
    cdd_moins_6_mois = "cdd_moins_6_mois"
    interim_moins_6_mois = "interim_moins_6_mois"
    contrat_aide_employeur_ordinaire = "contrat_aide_employeur_ordinaire"
    formation_qualifiante = "formation_qualifiante"
    embauche_autre_siae = "embauche_autre_siae"
    chomage = "chomage"
    inactivite = "inactivite"
    sante = "sante"
    demenagement = "demenagement"
    inconnue = "inconnue"
    autre = "autre"
    fin_periode_essai = "fin_periode_essai"
    deces = "deces"
    detention = "detention"


EXIT_CATEGORY_OF_MOTIF: dict[ExitMotif, ExitCategory] = {
    ExitMotif.cdi: ExitCategory.emploi_durable,
    ExitMotif.cdd_6_mois_ou_plus: ExitCategory.emploi_durable,
    ExitMotif.interim_6_mois_ou_plus: ExitCategory.emploi_durable,
    ExitMotif.fonction_publique: ExitCategory.emploi_durable,
    ExitMotif.creation_entreprise: ExitCategory.emploi_durable,
    ExitMotif.cdd_moins_6_mois: ExitCategory.emploi_transition,
    ExitMotif.interim_moins_6_mois: ExitCategory.emploi_transition,
    ExitMotif.contrat_aide_employeur_ordinaire: ExitCategory.emploi_transition,
    ExitMotif.formation_qualifiante: ExitCategory.sortie_positive,
    ExitMotif.embauche_autre_siae: ExitCategory.sortie_positive,
    ExitMotif.chomage: ExitCategory.autre_sortie,
    ExitMotif.inactivite: ExitCategory.autre_sortie,
    ExitMotif.sante: ExitCategory.autre_sortie,
    ExitMotif.demenagement: ExitCategory.autre_sortie,
    ExitMotif.inconnue: ExitCategory.autre_sortie,
    ExitMotif.autre: ExitCategory.autre_sortie,
    ExitMotif.fin_periode_essai: ExitCategory.retrait,
    ExitMotif.deces: ExitCategory.retrait,
    ExitMotif.detention: ExitCategory.retrait,
}


class Frein(StrEnum):
    """Barriers to employment, identified then lifted during accompaniment."""

    mobilite = "mobilite"
    logement = "logement"
    sante = "sante"
    garde_enfants = "garde_enfants"
    langue = "langue"
    numerique = "numerique"
    justice = "justice"
    ressources = "ressources"


class EligibilityLevel(StrEnum):
    niveau_1 = "niveau_1"
    niveau_2 = "niveau_2"


class EligibilityCriterion(StrEnum):
    rsa = "rsa"
    ass = "ass"
    aah = "aah"
    deld_24_mois_ou_plus = "deld_24_mois_ou_plus"
    faible_qualification = "faible_qualification"
    senior_50_ans_ou_plus = "senior_50_ans_ou_plus"
    jeune_moins_26_ans = "jeune_moins_26_ans"
    deld_12_a_24_mois = "deld_12_a_24_mois"
    rqth = "rqth"
    parent_isole = "parent_isole"
    sans_hebergement = "sans_hebergement"
    refugie = "refugie"
    residence_qpv = "residence_qpv"
    residence_zrr = "residence_zrr"
    sortant_detention = "sortant_detention"


CRITERION_LEVEL: dict[EligibilityCriterion, EligibilityLevel] = {
    criterion: (
        EligibilityLevel.niveau_1
        if criterion
        in {
            EligibilityCriterion.rsa,
            EligibilityCriterion.ass,
            EligibilityCriterion.aah,
            EligibilityCriterion.deld_24_mois_ou_plus,
        }
        else EligibilityLevel.niveau_2
    )
    for criterion in EligibilityCriterion
}


# the criteria a state source can certify (CAF, France Travail, MDPH)
CERTIFIABLE_CRITERIA = frozenset(
    {
        EligibilityCriterion.rsa,
        EligibilityCriterion.aah,
        EligibilityCriterion.parent_isole,
        EligibilityCriterion.rqth,
    }
)


class DiagnosticAuthor(StrEnum):
    """Who made an eligibility diagnostic: it is valid 6 months when an authorised
    prescriber made it, 92 days when the SIAE did."""

    prescripteur = "prescripteur"
    siae = "siae"


class Gender(StrEnum):
    femme = "femme"
    homme = "homme"
    non_precise = "non_precise"


class PassAdjustmentKind(StrEnum):
    suspension = "suspension"  # the PASS IAE stops running, its end moves later
    prolongation = "prolongation"  # the PASS IAE runs longer


class PassAdjustmentReason(StrEnum):
    """The motives of a suspension (the first nine) and of a prolongation (the rest)."""

    # suspension: the contract suspended for more than 15 days
    arret_maladie = "arret_maladie"
    conge_maternite = "conge_maternite"
    incarceration = "incarceration"
    force_majeure = "force_majeure"
    # suspension: the contract broken or ended
    rupture_contrat = "rupture_contrat"
    contrat_hors_iae = "contrat_hors_iae"
    periode_essai_hors_iae = "periode_essai_hors_iae"
    # suspension: agreed by the local committee (CTA), a contrat passerelle
    accord_cta = "accord_cta"
    contrat_passerelle = "contrat_passerelle"
    # prolongation
    formation_en_cours = "formation_en_cours"
    senior_50_ans_ou_plus = "senior_50_ans_ou_plus"
    rqth = "rqth"
    difficultes_particulieres = "difficultes_particulieres"
    cdi_inclusion_57_ans_ou_plus = "cdi_inclusion_57_ans_ou_plus"


class DerogationKind(StrEnum):
    """Recorded exceptions to the CDDI limits."""

    senior_50_ans_ou_plus = "senior_50_ans_ou_plus"  # beyond 24 months, up to 60
    rqth = "rqth"  # beyond 24 months, up to 60
    difficultes_particulieres = "difficultes_particulieres"  # beyond 24 months, up to 60
    formation_en_cours = "formation_en_cours"  # beyond 24 months, until the training ends
    moins_20h_prefet = "moins_20h_prefet"  # ACI, under 20 h a week, up to 12 months
    moins_20h_autre_emploi = "moins_20h_autre_emploi"  # another part-time job, up to 6 months


EXTENDING_DEROGATIONS = frozenset(
    {
        DerogationKind.senior_50_ans_ou_plus,
        DerogationKind.rqth,
        DerogationKind.difficultes_particulieres,
        DerogationKind.formation_en_cours,
    }
)
UNDER_20H_DEROGATIONS = frozenset(
    {DerogationKind.moins_20h_prefet, DerogationKind.moins_20h_autre_emploi}
)


class ActionKind(StrEnum):
    entretien = "entretien"
    formation = "formation"
    demarche_emploi = "demarche_emploi"
    immersion = "immersion"
    bilan = "bilan"
    accompagnement_social = "accompagnement_social"
    autre = "autre"


class ParcoursStatus(StrEnum):
    en_cours = "en_cours"
    sorti = "sorti"


class Severity(StrEnum):
    blocking = "blocking"
    warning = "warning"


class MissionKind(StrEnum):
    prestation = "prestation"
    sous_traitance = "sous_traitance"
    chantier = "chantier"
    mise_a_disposition = "mise_a_disposition"  # staff placed with the client: AI and ETTI


MISSION_KINDS_BY_STRUCTURE: dict[MissionKind, frozenset[StructureKind]] = {
    MissionKind.prestation: frozenset(StructureKind),
    MissionKind.sous_traitance: frozenset(StructureKind),
    MissionKind.chantier: frozenset(StructureKind),
    MissionKind.mise_a_disposition: frozenset({StructureKind.AI, StructureKind.ETTI}),
}


class MissionStatus(StrEnum):
    proposee = "proposee"
    acceptee = "acceptee"
    en_cours = "en_cours"
    terminee = "terminee"
    annulee = "annulee"
