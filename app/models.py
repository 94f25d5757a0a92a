"""Every mapped table, imported once so that Alembic and the app see the same metadata."""

from app.db import Base
from app.keys.models import ApiKey
from app.reference.models import AideAuPosteRate, Departement, ReferenceHours, Region

__all__ = ["AideAuPosteRate", "ApiKey", "Base", "Departement", "ReferenceHours", "Region"]
