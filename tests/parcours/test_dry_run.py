"""The dry run and the real write agree, for any contract (hypothesis)."""

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from app.keys.models import Role, Scope
from tests.support.keys import KeyMaker, bearer
from tests.support.records import create_structure, salarie_in_parcours

contracts = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["cddi", "ctti", "mise_a_disposition", "cdi_inclusion"]),
        "start_date": st.dates(min_value=dt.date(2023, 12, 1), max_value=dt.date(2026, 6, 1)),
        "days": st.one_of(st.none(), st.integers(min_value=-10, max_value=900)),
        "weekly_hours": st.decimals(min_value=Decimal(1), max_value=Decimal(48), places=1),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(terms=contracts)
async def test_validate_and_sign_agree(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_key: KeyMaker,
    connection: AsyncConnection,
    terms: dict[str, Any],
) -> None:
    savepoint = await connection.begin_nested()  # each example starts from the same state
    try:
        structure = await create_structure(client, admin_headers, kind="ACI")
        own = bearer(
            await make_key(Role.structure, (Scope.read, Scope.write), structure_id=structure["id"])
        )
        _, parcours = await salarie_in_parcours(client, own, birth_date="1965-01-01")
        end = (
            None
            if terms["days"] is None
            else terms["start_date"] + dt.timedelta(days=terms["days"])
        )
        body = {
            "kind": terms["kind"],
            "start_date": terms["start_date"].isoformat(),
            "end_date": end.isoformat() if end else None,
            "weekly_hours": str(terms["weekly_hours"]),
        }
        check = await client.post(
            "/v1/contracts/validate", headers=own, json=body | {"parcours_id": parcours["id"]}
        )
        assert check.status_code == 200, check.text
        signed = await client.post(
            f"/v1/parcours/{parcours['id']}/contracts", headers=own, json=body
        )
        report = check.json()
        if report["valid"]:
            assert signed.status_code == 201, signed.text
            assert signed.json()["warnings"] == report["violations"]
        else:
            assert signed.status_code == 422
            assert signed.json()["violations"] == report["violations"]
    finally:
        await savepoint.rollback()
