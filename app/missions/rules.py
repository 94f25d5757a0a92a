"""Mission rules, pure: status transitions, kinds by structure, the AI 480-hour cap."""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from app.keys.models import Role
from app.reference.enums import (
    MISSION_KINDS_BY_STRUCTURE,
    CompanyCategory,
    MissionKind,
    MissionStatus,
    StructureKind,
)
from app.rules import RuleParameters, Violation, add_months, blocking, warning

S = MissionStatus
TRANSITIONS: dict[MissionStatus, frozenset[MissionStatus]] = {
    S.proposee: frozenset({S.acceptee, S.annulee}),
    S.acceptee: frozenset({S.en_cours, S.annulee}),
    S.en_cours: frozenset({S.terminee, S.annulee}),
    S.terminee: frozenset(),
    S.annulee: frozenset(),
}


def allowed_next(status: MissionStatus) -> list[MissionStatus]:
    return sorted(TRANSITIONS[status])


# who may move a mission to which status: the structure accepts, declines, starts and
# finishes, the company cancels, admin keys make any move the status machine allows
MOVES_BY_ROLE: dict[Role, frozenset[MissionStatus]] = {
    Role.structure: frozenset({S.acceptee, S.en_cours, S.terminee, S.annulee}),
    Role.company: frozenset({S.annulee}),
    Role.admin: frozenset(MissionStatus),
}


def may_move(role: Role, status: MissionStatus) -> bool:
    return status in MOVES_BY_ROLE.get(role, frozenset())


def kind_fits(kind: MissionKind, structure_kind: StructureKind) -> bool:
    return structure_kind in MISSION_KINDS_BY_STRUCTURE[kind]


# the AI cap does not apply to these clients
UNCAPPED_CLIENTS = frozenset(
    {CompanyCategory.particulier, CompanyCategory.association, CompanyCategory.collectivite}
)


def ai_placement_violations(
    *,
    structure_kind: StructureKind,
    company_category: CompanyCategory,
    month: dt.date,
    hours: Decimal,
    other_months: Iterable[tuple[dt.date, Decimal]],
    cap_lifted: Iterable[tuple[dt.date, dt.date]] = (),
    p: RuleParameters,
) -> list[Violation]:
    """An AI places a salarié with one company for at most 480 hours over the 24 months
    that follow the first placement; a warning from 400 hours. ``other_months`` are the
    salarié's (month, hours) with that company across missions, without the record
    being written; ``cap_lifted`` the (start, end) of the préfet's decisions lifting the
    cap for the structure: a month they cover is not capped."""
    if structure_kind is not StructureKind.AI or company_category in UNCAPPED_CLIENTS:
        return []
    if any(start <= month <= end for start, end in cap_lifted):
        return []
    months = [*other_months, (month, hours)]
    first = min(m for m, _ in months)
    window_end = add_months(first, p.ai_hours_window_months)
    total = sum((h for m, h in months if first <= m < window_end), Decimal(0))
    if month >= window_end:
        return []
    values = {"first_placement": first.strftime("%Y-%m"), "total_hours": total}
    if total > Decimal(str(p.ai_max_hours_per_company)):
        return [
            blocking(
                "ai_placement_over_cap",
                f"an AI places a salarié with one company for at most "
                f"{p.ai_max_hours_per_company:g} h over {p.ai_hours_window_months} months",
                "L5132-9",
                **values,
            )
        ]
    if total >= Decimal(str(p.ai_hours_warning_from)):
        return [
            warning(
                "ai_placement_near_cap",
                f"the {p.ai_max_hours_per_company:g} h cap with this company is near",
                "L5132-9",
                **values,
            )
        ]
    return []


def structure_may_change(staffed: bool, current: uuid.UUID, wanted: uuid.UUID) -> bool:
    """A mission moves to another structure only while nobody works on it: its
    assignments and hours are the first structure's salariés, whom the second would
    then read and write."""
    return not staffed or current == wanted
