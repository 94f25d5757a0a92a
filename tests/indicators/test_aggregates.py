"""The hour aggregates, kept by a trigger, equal a computation from scratch after any
sequence of writes (hypothesis)."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import Database, driver_connection
from app.indicators import queries
from app.indicators.catalogue import CATALOGUE, Dimension, ExitCounting
from app.indicators.queries import ExitRule, Filters, Scope
from app.parcours.models import Contract, MonthlyHours, Parcours
from app.parcours.repository import put_hours
from app.reference.enums import EXIT_CATEGORY_OF_MOTIF, ExitMotif, ParcoursStatus
from app.salaries.models import Salarie
from app.structures.models import Structure
from tests.support.records import new_siret

FROM_SCRATCH = text(
    "SELECT c.structure_id, h.month, sum(h.hours), count(*) FROM monthly_hours h"
    " JOIN contracts c ON c.id = h.contract_id GROUP BY 1, 2 ORDER BY 1, 2"
)
KEPT = text(
    "SELECT structure_id, month, hours, records FROM structure_month_hours"
    " WHERE records > 0 ORDER BY 1, 2"
)

operations = st.lists(
    st.tuples(
        st.sampled_from(["set", "update", "delete"]),
        st.integers(0, 3),  # which contract
        st.integers(0, 5),  # which month of 2025
        st.decimals(0, 200, places=2),
    ),
    min_size=1,
    max_size=25,
)


async def contracts(session: AsyncSession) -> list[Contract]:
    made = []
    for n in range(4):
        structure = Structure(
            siret=new_siret(),
            name=f"S{n % 2}",
            kind="ACI",
            commune_code="29019",
            departement_code="29",
            region_code="53",
        )
        session.add(structure)
        await session.flush()
        person = Salarie(
            structure_id=structure.id,
            first_name="A",
            last_name=str(n),
            birth_date=dt.date(1990, 1, 1),
            gender="homme",
        )
        session.add(person)
        await session.flush()
        parcours = Parcours(
            salarie_id=person.id, structure_id=structure.id, entry_date=dt.date(2025, 1, 1)
        )
        session.add(parcours)
        await session.flush()
        contract = Contract(
            parcours_id=parcours.id,
            salarie_id=person.id,
            structure_id=structure.id,
            kind="cddi",
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
            weekly_hours=Decimal(26),
        )
        session.add(contract)
        made.append(contract)
    await session.flush()
    return made


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
async def test_aggregates_equal_a_computation_from_scratch(
    connection: AsyncConnection, steps: list[tuple[str, int, int, Decimal]]
) -> None:
    # each example in its own session, rolled back: every one starts from the same state
    async with Database.bound_to(connection).sessions() as session:
        made = await contracts(session)
        for action, which, month_index, hours in steps:
            contract_id: uuid.UUID = made[which].id
            month = dt.date(2025, 1 + month_index, 1)
            if action == "set":
                await put_hours(await driver_connection(session), contract_id, month, hours)
            elif action == "update":
                await session.execute(
                    update(MonthlyHours)
                    .where(MonthlyHours.contract_id == contract_id, MonthlyHours.month == month)
                    .values(hours=hours)
                )
            else:
                await session.execute(
                    delete(MonthlyHours).where(
                        MonthlyHours.contract_id == contract_id, MonthlyHours.month == month
                    )
                )
        expected = (await session.execute(FROM_SCRATCH)).all()
        kept = (await session.execute(KEPT)).all()
        await session.rollback()
    assert [tuple(row) for row in kept] == [tuple(row) for row in expected]


EXIT_FROM_SCRATCH = text(
    "SELECT structure_id, date_trunc('month', exit_date)::date, exit_category, count(*),"
    " sum(exit_date - entry_date + 1) FROM parcours WHERE exit_date IS NOT NULL"
    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
)
EXITS_KEPT = text(
    "SELECT structure_id, month, category, exits, days FROM structure_month_exits"
    " WHERE exits > 0 ORDER BY 1, 2, 3"
)
exit_operations = st.lists(
    st.tuples(
        st.sampled_from(["exit", "reopen", "delete"]),
        st.integers(0, 5),  # which parcours
        st.integers(0, 11),  # exit month of 2025
        st.sampled_from(list(ExitMotif)),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=exit_operations)
async def test_exit_aggregates_match_the_parcours_and_both_paths_agree(
    connection: AsyncConnection, steps: list[tuple[str, int, int, ExitMotif]]
) -> None:
    async with Database.bound_to(connection).sessions() as session:
        structures = []
        for n in range(2):
            structure = Structure(
                siret=new_siret(),
                name=f"E{n}",
                kind="ACI",
                commune_code="29019" if n else "31555",
                departement_code="29" if n else "31",
                region_code="53" if n else "76",
            )
            session.add(structure)
            structures.append(structure)
        await session.flush()
        parcours = []
        for n in range(6):
            person = Salarie(
                structure_id=structures[n % 2].id,
                first_name="E",
                last_name=str(n),
                birth_date=dt.date(1990, 1, 1),
                gender="femme",
            )
            session.add(person)
            await session.flush()
            record = Parcours(
                salarie_id=person.id,
                structure_id=person.structure_id,
                entry_date=dt.date(2024, 6, 1),
            )
            session.add(record)
            parcours.append(record)
        await session.flush()
        for action, which, month, motif in steps:
            record = parcours[which]
            if record not in session:
                continue
            if action == "exit":
                record.status, record.exit_date = ParcoursStatus.sorti, dt.date(2025, month + 1, 15)
                record.exit_motif, record.exit_category = motif, EXIT_CATEGORY_OF_MOTIF[motif]
            elif action == "reopen":
                record.status, record.exit_date, record.exit_motif, record.exit_category = (
                    ParcoursStatus.en_cours, None, None, None)  # fmt: skip
            else:
                await session.delete(record)
            await session.flush()
        assert [tuple(r) for r in (await session.execute(EXITS_KEPT)).all()] == [
            tuple(r) for r in (await session.execute(EXIT_FROM_SCRATCH)).all()
        ]
        for code in (
            "sorties",
            "taux_sorties_dynamiques",
            "taux_emploi_durable",
            "duree_moyenne_parcours_mois",
        ):
            arguments: dict[str, Any] = {
                "period_start": dt.date(2025, 1, 1),
                "period_end": dt.date(2025, 12, 31),
                "group_by": [Dimension.month, Dimension.region],
                "scope": Scope(),
                "filters": Filters(),
                "family": CATALOGUE[code].family,
                # the aggregates hold every exit
                "exit_rule": ExitRule(3, 150, ExitCounting.toutes),
            }
            exact = await queries.values(session, code, cell_seed=0, **arguments)
            kept = await queries.values(session, code, cell_seed=None, **arguments)
            drop = {"salaries", "cell_key"}
            assert [{k: v for k, v in r._mapping.items() if k not in drop} for r in kept] == [
                {k: v for k, v in r._mapping.items() if k not in drop} for r in exact
            ], code
        await session.rollback()


ENDS_FROM_SCRATCH = text(
    "SELECT structure_id, date_trunc('month', end_date)::date, count(*),"
    " sum(end_date - start_date + 1) FROM contracts WHERE end_date IS NOT NULL"
    " GROUP BY 1, 2 ORDER BY 1, 2"
)
ENDS_KEPT = text(
    "SELECT structure_id, month, contracts, days FROM structure_month_contract_ends"
    " WHERE contracts > 0 ORDER BY 1, 2"
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ends=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 400)), min_size=1, max_size=12))
async def test_contract_end_aggregates_match_and_both_paths_agree(
    connection: AsyncConnection, ends: list[tuple[int, int]]
) -> None:
    async with Database.bound_to(connection).sessions() as session:
        made = await contracts(session)
        for which, days in ends:  # avenants moving the end date, or removals
            if days == 0:
                await session.execute(
                    delete(MonthlyHours).where(MonthlyHours.contract_id == made[which].id)
                )
                await session.execute(delete(Contract).where(Contract.id == made[which].id))
            else:
                await session.execute(
                    update(Contract)
                    .where(Contract.id == made[which].id)
                    .values(end_date=dt.date(2025, 1, 1) + dt.timedelta(days=days))
                )
        assert [tuple(r) for r in (await session.execute(ENDS_KEPT)).all()] == [
            tuple(r) for r in (await session.execute(ENDS_FROM_SCRATCH)).all()
        ]
        arguments: dict[str, Any] = {
            "period_start": dt.date(2025, 1, 1),
            "period_end": dt.date(2026, 12, 31),
            "group_by": [Dimension.month, Dimension.structure],
            "scope": Scope(),
            "filters": Filters(),
            "family": CATALOGUE["duree_moyenne_contrat_mois"].family,
            "exit_rule": ExitRule(3, 150),
        }
        exact = await queries.values(
            session, "duree_moyenne_contrat_mois", cell_seed=0, **arguments
        )
        kept = await queries.values(
            session, "duree_moyenne_contrat_mois", cell_seed=None, **arguments
        )
        assert [r._mapping["value"] for r in kept] == [r._mapping["value"] for r in exact]
        await session.rollback()
