"""Every mapped table, imported once so that Alembic and the app see the same metadata."""

from app.companies.models import Company
from app.db import Base
from app.keys.models import ApiKey
from app.networks.models import Network, NetworkMember
from app.reference.models import AideAuPosteRate, Departement, ReferenceHours, Region
from app.structures.models import Annexe, Antenne, SiretRecord, Structure

__all__ = [
    "AideAuPosteRate",
    "Annexe",
    "Antenne",
    "ApiKey",
    "Base",
    "Company",
    "Departement",
    "Network",
    "NetworkMember",
    "ReferenceHours",
    "Region",
    "SiretRecord",
    "Structure",
]
