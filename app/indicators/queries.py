"""Every indicator as one SQL statement: a fact query per indicator (its rows, already
placed in the period's time buckets) under one outer query that filters by the caller's
scope, groups by the requested dimensions and aggregates. PostgreSQL does the sums."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    bindparam,
    cast,
    column,
    distinct,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    true,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.indicators.catalogue import CATALOGUE, Dimension, ExitCounting, Family
from app.indicators.perturbation import CELL_KEYS
from app.networks import repository as networks
from app.structures.models import Structure

# Time buckets of the period: one per month, quarter or year, or the whole period.
BUCKETS = """
buckets AS (
    SELECT g::date AS bucket_start,
           LEAST((g + CAST(:step AS interval))::date - 1, CAST(:period_end AS date)) AS bucket_end
    FROM generate_series(CAST(:period_start AS date), CAST(:period_end AS date),
                         CAST(:step AS interval)) AS g
),
sized AS (
    SELECT bucket_start, bucket_end,
           ((extract(year FROM bucket_end) - extract(year FROM bucket_start)) * 12
            + extract(month FROM bucket_end) - extract(month FROM bucket_start) + 1) / 12.0
           AS years
    FROM buckets
),
month_buckets AS MATERIALIZED (
    -- each month of the period and its bucket, computed once: the monthly aggregates
    -- join it on equality
    SELECT m::date AS month, b.bucket_start
    FROM generate_series(CAST(:period_start AS date), CAST(:period_end AS date),
                         interval '1 month') AS m
    JOIN buckets b ON m::date BETWEEN b.bucket_start AND b.bucket_end
),
reference_hours_ranges AS (
    SELECT kind, in_force_from, annual_hours,
           lead(in_force_from) OVER (PARTITION BY kind ORDER BY in_force_from) AS until
    FROM reference_hours
),
rate_ranges AS (
    SELECT kind, in_force_from, amount_per_etp,
           lead(in_force_from) OVER (PARTITION BY kind ORDER BY in_force_from) AS until
    FROM aide_au_poste_rates
)
"""

PARCOURS_ACTIVE = """
SELECT b.bucket_start, p.structure_id, p.salarie_id
FROM parcours p JOIN sized b
  ON p.entry_date <= b.bucket_end AND (p.exit_date IS NULL OR p.exit_date >= b.bucket_start)
"""
ENTRIES = """
SELECT b.bucket_start, p.structure_id, p.salarie_id
FROM parcours p JOIN sized b ON p.entry_date BETWEEN b.bucket_start AND b.bucket_end
"""
# counted: whether the state's rule keeps the exit in its rates, the parcours being long
# enough to judge: hours worked in AI and ETTI, time in the structure elsewhere
EXITS = """
SELECT b.bucket_start, p.structure_id, p.salarie_id, p.exit_category AS category,
       (p.exit_date - p.entry_date + 1) AS days,
       CASE WHEN s.kind IN ('AI', 'ETTI')
            THEN coalesce((SELECT sum(h.hours) FROM contracts c
                           JOIN monthly_hours h ON h.contract_id = c.id
                           WHERE c.parcours_id = p.id), 0)
                 >= CAST(:exit_min_hours AS numeric)
            ELSE p.exit_date >= (p.entry_date + CAST(:exit_min_months AS interval))::date - 1
       END AS counted
FROM parcours p JOIN structures s ON s.id = p.structure_id
JOIN sized b ON p.exit_date BETWEEN b.bucket_start AND b.bucket_end
"""
# exits come from structure_month_exits, kept by a trigger on parcours, when no one
# needs the exact number of people behind a figure (admin and structure keys)
EXITS_KEPT = """
SELECT b.bucket_start, e.structure_id, e.category, e.exits, e.days
FROM structure_month_exits e JOIN month_buckets b ON b.month = e.month
WHERE e.exits > 0
"""
CONTRACT_ENDS_KEPT = """
SELECT b.bucket_start, e.structure_id, e.contracts, e.days
FROM structure_month_contract_ends e JOIN month_buckets b ON b.month = e.month
WHERE e.contracts > 0
"""
CONTRACTS_ENDED = """
SELECT b.bucket_start, c.structure_id, c.salarie_id, (c.end_date - c.start_date + 1) AS days
FROM contracts c JOIN sized b ON c.end_date BETWEEN b.bucket_start AND b.bucket_end
"""
# hours come from structure_month_hours, kept by a trigger on monthly_hours
HOURS = """
SELECT b.bucket_start, h.structure_id, h.records, h.hours,
       h.hours / r.annual_hours / b.years AS etp, 0 AS etp_funded
FROM structure_month_hours h
JOIN structures s ON s.id = h.structure_id
JOIN month_buckets mb ON mb.month = h.month
JOIN sized b ON b.bucket_start = mb.bucket_start
JOIN reference_hours_ranges r
  ON r.kind = s.kind AND h.month >= r.in_force_from AND (r.until IS NULL OR h.month < r.until)
WHERE h.records > 0
"""
FUNDED = """
SELECT b.bucket_start, a.structure_id, 0 AS records, 0 AS hours, 0 AS etp,
       a.posts
       * (LEAST(a.end_date, b.bucket_end) - GREATEST(a.start_date, b.bucket_start) + 1)
       / (b.bucket_end - b.bucket_start + 1)::numeric AS etp_funded
FROM annexes a JOIN sized b ON a.start_date <= b.bucket_end AND a.end_date >= b.bucket_start
"""
AID = """
SELECT b.bucket_start, h.structure_id, h.records,
       h.hours / r.annual_hours * rate.amount_per_etp
       * (1 + COALESCE(a.modulation_rate, 0) / 100) AS aid
FROM structure_month_hours h
JOIN structures s ON s.id = h.structure_id
JOIN month_buckets mb ON mb.month = h.month
JOIN sized b ON b.bucket_start = mb.bucket_start
JOIN reference_hours_ranges r
  ON r.kind = s.kind AND h.month >= r.in_force_from AND (r.until IS NULL OR h.month < r.until)
JOIN rate_ranges rate
  ON rate.kind = s.kind AND h.month >= rate.in_force_from
     AND (rate.until IS NULL OR h.month < rate.until)
LEFT JOIN annexes a
  ON a.structure_id = h.structure_id AND h.month BETWEEN a.start_date AND a.end_date
WHERE h.records > 0
"""
FREINS = """
SELECT b.bucket_start, p.structure_id, p.salarie_id,
       (f.lifted_on IS NOT NULL AND f.lifted_on <= CAST(:period_end AS date)) AS lifted
FROM freins f JOIN parcours p ON p.id = f.parcours_id
JOIN sized b ON f.identified_on BETWEEN b.bucket_start AND b.bucket_end
"""
MISSIONS_RUNNING = """
SELECT b.bucket_start, m.structure_id, m.company_id, m.sector, NULL::uuid AS salarie_id,
       m.amount_ht
       * (LEAST(m.end_date, b.bucket_end) - GREATEST(m.start_date, b.bucket_start) + 1)
       / (m.end_date - m.start_date + 1)::numeric AS amount
FROM missions m JOIN sized b ON m.start_date <= b.bucket_end AND m.end_date >= b.bucket_start
WHERE m.status <> 'annulee'
"""
CLAUSE_HOURS = """
SELECT b.bucket_start, m.structure_id, m.company_id, m.sector, mh.salarie_id, mh.hours
FROM mission_hours mh JOIN missions m ON m.id = mh.mission_id
JOIN sized b ON mh.month BETWEEN b.bucket_start AND b.bucket_end
WHERE m.social_clause AND m.status <> 'annulee'
"""

DYNAMIC = "('emploi_durable', 'emploi_transition', 'sortie_positive')"
RECORDS = "max(f.records)"
MONTH_DAYS = "30.4375"


PEOPLE = "count(DISTINCT f.salarie_id)"


@dataclass(frozen=True)
class Formula:
    facts: str
    value: str
    numerator: str | None = None
    denominator: str | None = None
    # how many salariés stand behind a group, for small-cell suppression (None: no one's
    # data); from the hour aggregates, the most records of one structure-month: a lower
    # bound, so a doubtful group is hidden rather than shown
    salaries: str | None = PEOPLE
    by_category: bool = False
    tally: str = "count(*)"  # how rows count, for the breakdown by category
    # which of value, numerator and denominator are counts of people or their records
    # (perturbed for company and network keys; sums of hours or days are not counts)
    counts: tuple[str, ...] = ("value",)
    # the exits the state's rule leaves out, rather than those it counts
    left_out_exits: bool = False


FORMULAS: dict[str, Formula] = {
    "salaries_accompagnes": Formula(PARCOURS_ACTIVE, "count(DISTINCT f.salarie_id)"),
    "entrees": Formula(ENTRIES, "count(*)"),
    "sorties": Formula(EXITS, "count(*)", by_category=True),
    "sorties_non_comptabilisees": Formula(EXITS, "count(*)", by_category=True, left_out_exits=True),
    "taux_sorties_dynamiques": Formula(
        EXITS,
        "",
        f"count(*) FILTER (WHERE f.category IN {DYNAMIC})",
        "count(*) FILTER (WHERE f.category <> 'retrait')",
        counts=("numerator", "denominator"),
    ),
    "taux_emploi_durable": Formula(
        EXITS,
        "",
        "count(*) FILTER (WHERE f.category = 'emploi_durable')",
        "count(*) FILTER (WHERE f.category <> 'retrait')",
        counts=("numerator", "denominator"),
    ),
    "duree_moyenne_contrat_mois": Formula(
        CONTRACTS_ENDED, "", f"sum(f.days) / {MONTH_DAYS}", "count(*)", counts=("denominator",)
    ),
    "duree_moyenne_parcours_mois": Formula(
        EXITS, "", f"sum(f.days) / {MONTH_DAYS}", "count(*)", counts=("denominator",)
    ),
    "heures_travaillees": Formula(HOURS, "sum(f.hours)", salaries=RECORDS),
    "etp_realises": Formula(HOURS, "sum(f.etp)", salaries=RECORDS),
    "etp_conventionnes": Formula(FUNDED, "sum(f.etp_funded)", salaries=None),
    "taux_realisation_etp": Formula(
        f"{HOURS} UNION ALL {FUNDED}", "", "sum(f.etp)", "sum(f.etp_funded)", salaries=RECORDS
    ),
    "aide_au_poste": Formula(AID, "sum(f.aid)", salaries=RECORDS),
    "achats_montant": Formula(MISSIONS_RUNNING, "sum(f.amount)", salaries=None),
    "entreprises_clientes": Formula(
        MISSIONS_RUNNING, "count(DISTINCT f.company_id)", salaries=None
    ),
    "heures_clauses_sociales": Formula(CLAUSE_HOURS, "sum(f.hours)", counts=()),
    "secteurs_activite": Formula(MISSIONS_RUNNING, "count(DISTINCT f.sector)", salaries=None),
    "freins_leves": Formula(
        FREINS,
        "",
        "count(*) FILTER (WHERE f.lifted)",
        "count(*)",
        counts=("numerator", "denominator"),
    ),
}

KEPT = "sum(f.exits)"

# the same figures from the aggregates, for callers without small-cell suppression
FAST_FORMULAS: dict[str, Formula] = {
    "sorties": Formula(EXITS_KEPT, KEPT, salaries=None, by_category=True, tally=KEPT),
    "taux_sorties_dynamiques": Formula(
        EXITS_KEPT,
        "",
        f"coalesce(sum(f.exits) FILTER (WHERE f.category IN {DYNAMIC}), 0)",
        "coalesce(sum(f.exits) FILTER (WHERE f.category <> 'retrait'), 0)",
        salaries=None,
    ),
    "taux_emploi_durable": Formula(
        EXITS_KEPT,
        "",
        "coalesce(sum(f.exits) FILTER (WHERE f.category = 'emploi_durable'), 0)",
        "coalesce(sum(f.exits) FILTER (WHERE f.category <> 'retrait'), 0)",
        salaries=None,
    ),
    "duree_moyenne_parcours_mois": Formula(
        EXITS_KEPT, "", f"sum(f.days) / {MONTH_DAYS}", KEPT, salaries=None
    ),
    "duree_moyenne_contrat_mois": Formula(
        CONTRACT_ENDS_KEPT, "", f"sum(f.days) / {MONTH_DAYS}", "sum(f.contracts)", salaries=None
    ),
}

CATEGORIES = ("emploi_durable", "emploi_transition", "sortie_positive", "autre_sortie", "retrait")
STEPS = {Dimension.month: "1 month", Dimension.quarter: "3 months", Dimension.year: "1 year"}
WHOLE_PERIOD = "1000 years"


@dataclass(frozen=True)
class Scope:
    """Whose records an indicator is computed on."""

    structure_id: uuid.UUID | None = None  # a structure key's own
    company_id: uuid.UUID | None = None  # a company key's missions
    network_id: uuid.UUID | None = None  # a network key's scope


@dataclass(frozen=True)
class ExitRule:
    """The state's rule for counting an exit in the rates (settings)."""

    min_months: int  # in ACI, EI and EITI: time in the structure
    min_hours: float  # in AI and ETTI: hours worked in the parcours
    counting: ExitCounting = ExitCounting.etat


@dataclass(frozen=True)
class Filters:
    region_code: str | None = None
    departement_code: str | None = None
    structure_kind: str | None = None
    structure_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    sector: str | None = None


STRUCTURE_DIMENSIONS: dict[Dimension, Any] = {
    Dimension.region: Structure.region_code,
    Dimension.departement: Structure.departement_code,
    Dimension.structure_kind: Structure.kind,
    Dimension.structure: Structure.id,
}


def _dimension(dimension: Dimension, facts: Any) -> ColumnElement[Any]:
    if dimension in STEPS:
        return facts.c.bucket_start  # type: ignore[no-any-return]
    if dimension in STRUCTURE_DIMENSIONS:
        return STRUCTURE_DIMENSIONS[dimension]  # type: ignore[no-any-return]
    return facts.c[dimension.value if dimension is Dimension.sector else "company_id"]  # type: ignore[no-any-return]


async def values(
    session: AsyncSession,
    code: str,
    *,
    period_start: dt.date,
    period_end: dt.date,
    group_by: Sequence[Dimension],
    scope: Scope,
    filters: Filters,
    family: Family,
    exit_rule: ExitRule,
    cell_seed: int | None = None,
) -> Sequence[Row[Any]]:
    """The indicator's rows: the dimension values, then value, numerator, denominator,
    the number of distinct salariés behind the figure and the group's cell key (with
    ``cell_seed``, for company and network keys; the aggregates are read otherwise, when
    they hold the indicator), and exits by category."""
    count_people = cell_seed is not None
    # the aggregates hold every exit: the state's counting reads the parcours
    by_state_rule = CATALOGUE[code].follows_exit_counting and (
        exit_rule.counting is ExitCounting.etat
    )
    precise = count_people or by_state_rule
    formula = FORMULAS[code] if precise else FAST_FORMULAS.get(code, FORMULAS[code])
    time = next((d for d in group_by if d in STEPS), None)
    step = STEPS[time] if time else WHOLE_PERIOD
    mission_columns = ["company_id", "sector"] if family is Family.mission else []
    fact_columns = ["bucket_start", "structure_id", *mission_columns]
    binds: dict[str, Any] = {"period_start": period_start, "period_end": period_end, "step": step}
    if formula.facts == EXITS:
        fact_columns.append("counted")
        binds |= {
            "exit_min_months": f"{exit_rule.min_months} months",
            "exit_min_hours": exit_rule.min_hours,
        }
    facts = (
        text(f"WITH {BUCKETS} SELECT * FROM ({formula.facts}) AS facts")
        .bindparams(**binds)
        .columns(*(column(name) for name in fact_columns))
        .subquery("f")
    )
    exits: list[ColumnElement[bool]] = []
    if formula.left_out_exits:
        exits.append(~facts.c.counted)
    elif by_state_rule:
        exits.append(facts.c.counted)
    dimensions = [_dimension(d, facts).label(d.value) for d in group_by]
    measures: list[ColumnElement[Any]] = []
    if formula.numerator is not None:
        numerator: ColumnElement[Any] = literal_column(formula.numerator)
        denominator: ColumnElement[Any] = literal_column(formula.denominator or "1")
        measures += [
            (numerator / literal_column(f"NULLIF({formula.denominator}, 0)")).label("value"),
            numerator.label("numerator"),
            denominator.label("denominator"),
        ]
    else:
        measures += [
            literal_column(formula.value).label("value"),
            literal_column("NULL").label("numerator"),
            literal_column("NULL").label("denominator"),
        ]
    measures.append(literal_column(formula.salaries or "NULL").label("salaries"))
    people = cell_seed is not None and formula.salaries == PEOPLE
    measures.append(
        (_cell_key(cell_seed) if cell_seed is not None and people else null()).label("cell_key")
    )
    if formula.by_category:
        measures += [
            literal_column(
                f"coalesce({formula.tally} FILTER (WHERE f.category = '{category}'), 0)"
            ).label(category)
            for category in CATEGORIES
        ]
    statement = (
        select(*dimensions, *measures)
        .select_from(facts.join(Structure, Structure.id == facts.c.structure_id))
        .where(_scope(scope, facts), *_filters(filters, facts), *exits)
        .group_by(*dimensions)
        .order_by(*dimensions)
    )
    return (await session.execute(statement)).all()


def _cell_key(seed: int) -> ColumnElement[Any]:
    """A group's cell key: the sum of its people's record keys (a keyed hash of each
    salarié's id), modulo 2**32 (:mod:`app.indicators.perturbation`)."""
    record_key = func.hashtextextended(
        literal_column("f.salarie_id::text"), bindparam("cell_seed", seed, type_=BigInteger)
    ).op("&")(literal(CELL_KEYS - 1, BigInteger))
    total = func.coalesce(func.sum(distinct(record_key)), 0)
    return cast(func.mod(total, literal(CELL_KEYS, BigInteger)), BigInteger)


def _scope(scope: Scope, facts: Any) -> ColumnElement[bool]:
    if scope.structure_id is not None:
        return Structure.id == scope.structure_id
    if scope.company_id is not None:
        return facts.c.company_id == scope.company_id  # type: ignore[no-any-return]
    if scope.network_id is not None:
        return networks.covers(scope.network_id)
    return true()


def _filters(filters: Filters, facts: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    pairs: list[tuple[Any, Any]] = [
        (Structure.region_code, filters.region_code),
        (Structure.departement_code, filters.departement_code),
        (Structure.kind, filters.structure_kind),
        (Structure.id, filters.structure_id),
    ]
    if filters.company_id is not None:
        pairs.append((facts.c.company_id, filters.company_id))
    if filters.sector is not None:
        pairs.append((facts.c.sector, filters.sector))
    for column_, value in pairs:
        if value is not None:
            conditions.append(column_ == value)
    return conditions
