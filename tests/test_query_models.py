"""A list's query model says each filter once: its query parameter and its SQL."""

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from app.audit.repository import AuditQuery
from app.companies.repository import CompanyQuery
from app.missions.models import Mission
from app.missions.repository import MissionQuery
from app.parcours.repository import ContractQuery, ParcoursQuery
from app.salaries.repository import SalarieQuery
from app.sql import Where, conditions_of, filtered, given
from app.structures.repository import StructureQuery

QUERY_MODELS = {
    "list_missions": MissionQuery,
    "list_parcours": ParcoursQuery,
    "list_contracts": ContractQuery,
    "list_structures": StructureQuery,
    "list_companies": CompanyQuery,
    "list_salaries": SalarieQuery,
    "list_audit_entries": AuditQuery,
}


def test_a_field_without_its_condition_is_refused() -> None:
    @dataclass(frozen=True)
    class Forgetful:
        title: Annotated[str | None, Query(), Where(lambda v: Mission.title == v)] = None
        sector: Annotated[str | None, Query()] = None

    with pytest.raises(TypeError, match=r"no Where condition for \['sector'\]"):
        conditions_of(Forgetful)


def test_only_the_filters_given_reach_the_sql() -> None:
    structure = uuid.uuid4()
    query = MissionQuery(structure_id=structure, status=None)
    assert given(query) == {"structure_id": structure}
    sql = str(
        filtered(select(Mission.id), query).compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
    )
    assert f"missions.structure_id = '{structure}'" in sql
    assert "status" not in sql.partition("WHERE")[2]


@pytest.mark.parametrize(("operation", "model"), QUERY_MODELS.items())
def test_each_query_model_is_its_lists_query_parameters(
    app: FastAPI, operation: str, model: type
) -> None:
    """The contract's parameters of the list are the model's fields (by their alias),
    with the page's limit and cursor: no filter is declared anywhere else."""
    document: dict[str, Any] = app.openapi()
    (parameters,) = [
        op["parameters"]
        for path in document["paths"].values()
        for op in path.values()
        if op.get("operationId") == operation
    ]
    names = [p["name"] for p in parameters if p.get("in") == "query"]
    aliases = []
    for field in dataclasses.fields(model):
        metadata = getattr(model.__annotations__[field.name], "__metadata__", ())
        alias = next((m.alias for m in metadata if getattr(m, "alias", None)), None)
        aliases.append(alias or field.name)
    assert names == [*aliases, "limit", "cursor"]
