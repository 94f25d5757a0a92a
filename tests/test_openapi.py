"""The committed contract is what the app serves, and is complete enough to build
a connector from."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import openapi_document

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_committed_document_matches_the_app(app: FastAPI) -> None:
    assert COMMITTED.read_bytes() == openapi_document(app), (
        "openapi/openapi.json is stale: run 'jalon openapi' and commit it"
    )


async def test_served_document_is_the_committed_one(client: httpx.AsyncClient) -> None:
    import json

    served = (await client.get("/openapi.json")).json()
    assert served == json.loads(COMMITTED.read_text())


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_operations_have_stable_unique_ids_tags_and_summaries(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations(document):
        assert operation.get("tags"), (method, path)
        assert operation.get("summary"), (method, path)
        assert "__" not in operation["operationId"], "ids must not depend on paths"


def test_every_v1_operation_requires_the_bearer_scheme_and_documents_its_problems(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["ApiKey"]["description"],
    }
    for path, method, operation in operations(document):
        if not path.startswith("/v1/"):
            continue
        assert operation["security"] == [{"ApiKey": []}], (method, path)
        for status in ("401", "403", "422"):
            content = operation["responses"][status]["content"]
            assert "application/problem+json" in content, (method, path, status)


def test_request_and_response_schemas_carry_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("KeyCreate", "KeyRead", "KeyCreated", "ProblemDocument"):
        assert schemas[name].get("examples"), name


def test_error_responses_are_documented_as_problem_documents(document: dict[str, Any]) -> None:
    for path, _, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert "application/problem+json" in response["content"], (path, status)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ProblemDocument"}
    assert "FieldProblem" in document["components"]["schemas"]


def test_every_request_body_and_response_model_has_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    missing = set()
    for path, method, operation in operations(document):
        bodies = [operation.get("requestBody", {}).get("content", {}).get("application/json", {})]
        bodies += [
            response.get("content", {}).get("application/json", {})
            for status, response in operation["responses"].items()
            if status.startswith("2")
        ]
        for body in bodies:
            reference = body.get("schema", {}).get("$ref", "")
            name = reference.rsplit("/", 1)[-1]
            if name and not name.startswith("Page_") and not schemas[name].get("examples"):
                missing.add((name, method, path))
    assert not missing
