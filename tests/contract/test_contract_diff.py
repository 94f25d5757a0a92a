"""What breaks a client generated from the old contract, and what does not."""

import copy
from typing import Any

from tests.support.contract_diff import breaking_changes

BASE: dict[str, Any] = {
    "paths": {
        "/v1/things": {
            "post": {
                "operationId": "create_thing",
                "parameters": [{"name": "dry_run", "in": "query", "required": False}],
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}
                },
                "responses": {
                    "201": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Out"}}
                        }
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "In": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                },
            },
            "Out": {
                "type": "object",
                "required": ["id", "state"],
                "properties": {
                    "id": {"type": "string"},
                    "state": {"type": "string", "enum": ["on", "off"]},
                },
            },
        }
    },
}


def changed(edit: Any) -> list[str]:
    new = copy.deepcopy(BASE)
    edit(new)
    return [b.subject for b in breaking_changes(BASE, new)]


def test_nothing_changed_nothing_broken() -> None:
    assert changed(lambda d: None) == []


def test_breaking() -> None:
    operation = ("paths", "/v1/things", "post")

    def at(d: dict[str, Any]) -> dict[str, Any]:
        return d[operation[0]][operation[1]][operation[2]]  # type: ignore[no-any-return]

    assert changed(lambda d: d["paths"].pop("/v1/things")) == ["create_thing"]
    assert changed(lambda d: at(d).update(operationId="make_thing")) == ["create_thing"]
    assert changed(lambda d: at(d)["parameters"][0].update(required=True)) == ["dry_run"]
    assert changed(lambda d: at(d).update(parameters=[])) == ["dry_run"]
    assert changed(lambda d: d["components"]["schemas"]["In"]["required"].append("kind")) == [
        "kind"
    ]
    assert changed(lambda d: d["components"]["schemas"]["In"]["properties"].pop("kind")) == ["kind"]
    assert changed(
        lambda d: d["components"]["schemas"]["In"]["properties"]["kind"].update(enum=["a"])
    ) == ["kind"]
    assert changed(lambda d: d["components"]["schemas"]["Out"]["properties"].pop("state")) == [
        "state"
    ]
    assert changed(lambda d: d["components"]["schemas"]["Out"]["required"].remove("state")) == [
        "state"
    ]
    assert changed(
        lambda d: d["components"]["schemas"]["Out"]["properties"]["state"]["enum"].append("x")
    ) == ["state"]
    assert changed(
        lambda d: d["components"]["schemas"]["Out"]["properties"]["id"].update(type="integer")
    ) == ["id"]
    assert changed(lambda d: at(d)["responses"].pop("201")) == ["create_thing"]


def test_not_breaking() -> None:
    assert (
        changed(
            lambda d: d["components"]["schemas"]["Out"]["properties"].update(
                extra={"type": "string"}
            )
        )
        == []
    )
    assert (
        changed(
            lambda d: d["components"]["schemas"]["In"]["properties"]["kind"]["enum"].append("c")
        )
        == []
    )
    assert (
        changed(
            lambda d: d["paths"]["/v1/things"]["post"]["parameters"].append(
                {"name": "limit", "in": "query", "required": False}
            )
        )
        == []
    )
    assert changed(lambda d: d["paths"].update({"/v1/other": {}})) == []
