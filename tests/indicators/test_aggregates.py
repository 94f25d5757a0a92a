"""The hour aggregates, kept by a trigger, equal a computation from scratch after any
sequence of writes (hypothesis)."""

import datetime as dt
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import Database
from app.parcours.models import Contract, MonthlyHours, Parcours
from app.parcours.repository import set_hours
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
                await set_hours(session, contract_id, month, hours)
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
