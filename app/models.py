"""Every mapped table, imported once so that Alembic and the app see the same metadata."""

from app.audit.models import AuditEntry
from app.companies.models import Company
from app.db import Base
from app.fiches.models import (
    AspBatch,
    AspBatchLine,
    AspCommune,
    AspCountry,
    AspProfileRecord,
    FicheSalarie,
    PassNotification,
)
from app.idempotency.models import IdempotencyRecord
from app.indicators.models import IndicatorObjective
from app.keys.models import ApiKey
from app.missions.models import Mission, MissionAssignment, MissionHours
from app.months.models import StructureMonth
from app.networks.models import Network, NetworkMember
from app.parcours.models import (
    Action,
    Contract,
    ContractAmendment,
    Derogation,
    FreinRecord,
    MonthlyHours,
    Objective,
    Parcours,
    StructureMonthContractEnds,
    StructureMonthExits,
    StructureMonthHours,
)
from app.reference.models import AideAuPosteRate, Departement, ReferenceHours, Region
from app.salaries.models import EligibilityDiagnostic, PassAdjustment, PassIae, Salarie
from app.structures.models import Annexe, Antenne, CapDerogation, SiretRecord, Structure
from app.tombstones.models import Tombstone
from app.webhooks.models import Attempt, Delivery, Event, Subscription

__all__ = [
    "Action",
    "AideAuPosteRate",
    "Annexe",
    "Antenne",
    "ApiKey",
    "AspBatch",
    "AspBatchLine",
    "AspCommune",
    "AspCountry",
    "AspProfileRecord",
    "Attempt",
    "AuditEntry",
    "Base",
    "CapDerogation",
    "Company",
    "Contract",
    "ContractAmendment",
    "Delivery",
    "Departement",
    "Derogation",
    "EligibilityDiagnostic",
    "Event",
    "FicheSalarie",
    "FreinRecord",
    "IdempotencyRecord",
    "IndicatorObjective",
    "Mission",
    "MissionAssignment",
    "MissionHours",
    "MonthlyHours",
    "Network",
    "NetworkMember",
    "Objective",
    "Parcours",
    "PassAdjustment",
    "PassIae",
    "PassNotification",
    "ReferenceHours",
    "Region",
    "Salarie",
    "SiretRecord",
    "Structure",
    "StructureMonth",
    "StructureMonthContractEnds",
    "StructureMonthExits",
    "StructureMonthHours",
    "Subscription",
    "Tombstone",
]
