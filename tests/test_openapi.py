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
    """One media type per error status, problem+json, with ProblemDocument's members at
    least (a batch's problem carries its report too)."""
    schemas = document["components"]["schemas"]
    members = set(schemas["ProblemDocument"]["properties"])
    for path, _, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                schema = response["content"]["application/problem+json"]["schema"]
                name = schema["$ref"].rsplit("/", 1)[-1]
                assert members <= set(schemas[name]["properties"]), (path, status, name)
    assert "FieldProblem" in document["components"]["schemas"]


def test_every_problem_type_is_named_in_the_responses_that_may_carry_it(
    document: dict[str, Any],
) -> None:
    from app.errors import problem_classes

    described = " ".join(
        response["description"]
        for _, _, operation in operations(document)
        for status, response in operation["responses"].items()
        if status.startswith(("4", "5"))
    )
    slugs = {cls.slug for cls in problem_classes()}
    assert {
        "validation-failed",
        "rules-broken",
        "batch-rejected",
        "idempotency-key-reused",
    } <= slugs
    # answered by no operation: a method the path does not have, and a bug of ours
    assert {slug for slug in slugs if slug not in described} == {
        "method-not-allowed",
        "internal-error",
    }


def test_a_model_has_one_schema_for_reads_and_writes(document: dict[str, Any]) -> None:
    """A generator keeps one model per title: SocialClause-Input and -Output collided."""
    names = document["components"]["schemas"]
    assert not [name for name in names if name.endswith(("-Input", "-Output"))]
    titles = [schema.get("title", name) for name, schema in names.items()]
    assert len(titles) == len(set(titles))


def test_no_quantity_is_a_json_number(document: dict[str, Any]) -> None:
    """Money, hours, ETP and rates are decimal strings: a float is never offered."""
    numbers: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "number":
                numbers.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(document, "")
    assert numbers == []


def test_every_header_a_client_sends_is_a_declared_parameter(document: dict[str, Any]) -> None:
    parameters = document["components"]["parameters"]
    for path, method, operation in operations(document):
        declared = {
            parameters[p["$ref"].rsplit("/", 1)[-1]]["name"] if "$ref" in p else p["name"]
            for p in operation.get("parameters", [])
        }
        assert "X-Request-ID" in declared, (method, path)
        if method == "post" and operation.get("security"):
            assert "Idempotency-Key" in declared, (method, path)


def test_every_response_declares_the_headers_it_carries(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            headers = set(response.get("headers", {}))
            assert "X-Request-ID" in headers, (method, path, status)
            if operation.get("security"):
                assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= headers
            if status in ("429", "503"):
                assert "Retry-After" in headers, (method, path, status)
    for name in ("create_mission", "read_mission", "update_mission", "create_salarie"):
        success = next(
            operation["responses"]
            for _, _, operation in operations(document)
            if operation["operationId"] == name
        )
        assert any("ETag" in r.get("headers", {}) for s, r in success.items() if s < "300")


def test_webhooks_declare_their_signature_headers_and_the_receivers_answers(
    document: dict[str, Any],
) -> None:
    for name, item in document["webhooks"].items():
        operation = item["post"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}, name
        assert set(operation["responses"]) == {"2XX", "default"}, name


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
            if name and not schemas[name].get("examples"):
                missing.add((name, method, path))
    assert not missing


def test_every_synced_list_says_how_to_sync_and_deduplicate(document: dict[str, Any]) -> None:
    from app.reference.schemas import SYNC_RULE

    synced = [
        (path, parameter)
        for path, method, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter.get("name") == "updated_since"
    ]
    assert {path for path, _ in synced} >= {
        "/v1/structures",
        "/v1/companies",
        "/v1/salaries",
        "/v1/missions",
        "/v1/contracts",
    }
    for path, parameter in synced:
        assert parameter["description"] == SYNC_RULE, path
    assert "keep the latest\nper `id`" in document["info"]["description"]


def test_creates_reads_and_pages_link_to_what_follows(document: dict[str, Any]) -> None:
    """OpenAPI links, so that a client or a fuzzer chains create -> read -> update."""
    paths = document["paths"]
    created = paths["/v1/missions"]["post"]["responses"]["201"]["links"]
    assert created["read_mission"]["parameters"] == {"path.mission_id": "$response.body#/id"}
    assert created["update_mission"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    read = paths["/v1/missions/{mission_id}"]["get"]["responses"]["200"]["links"]
    assert read["update_mission"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    for path, method, operation in operations(document):
        if method == "get" and any(p.get("name") == "cursor" for p in operation["parameters"]):
            links = operation["responses"]["200"]["links"]
            assert links["next_page"]["operationId"] == operation["operationId"], path
        if method == "post" and "201" in operation["responses"] and "{" not in path:
            record = [p for p in paths if p.startswith(f"{path}/{{")]
            if record:
                assert operation["responses"]["201"].get("links"), path


def test_free_text_refuses_the_nul_character_postgresql_cannot_hold(
    document: dict[str, Any],
) -> None:
    name = document["components"]["schemas"]["MissionCreate"]["properties"]["title"]
    assert name["pattern"] == "^[^\\u0000]*$"
    query = next(
        p for p in document["paths"]["/v1/companies"]["get"]["parameters"] if p["name"] == "q"
    )
    assert any(s.get("pattern") == "^[^\\u0000]*$" for s in query["schema"]["anyOf"])
