"""Enumerations of the IAE vocabulary (see DOMAIN.md)."""

from enum import StrEnum


class StructureKind(StrEnum):
    """Kinds of structure d'insertion par l'activité économique (SIAE)."""

    EI = "EI"  # entreprise d'insertion
    ETTI = "ETTI"  # entreprise de travail temporaire d'insertion
    AI = "AI"  # association intermédiaire
    ACI = "ACI"  # atelier et chantier d'insertion
    EITI = "EITI"  # entreprise d'insertion par le travail indépendant
