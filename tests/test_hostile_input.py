"""Hostile input: every request here is answered with a problem (or stored inert),
never a 500, and leaves nothing half-written. The catalogue's size is what
RELIABILITY.md reports as "hostile inputs tried"."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.keys.models import Role, Scope
from app.missions.models import Mission
from app.parcours.models import Action, MonthlyHours
from app.salaries.models import PassIae, Salarie
from app.structures.models import Structure
from tests.support.figures import record
from tests.support.keys import KeyMaker, bearer
from tests.support.records import (
    create_structure,
    mission_body,
    new_siret,
    salarie_body,
    salarie_in_parcours,
    structure_body,
)


@dataclass(frozen=True)
class Hostile:
    """One hostile request: what it sends, and the statuses that are a right answer."""

    name: str
    method: str
    path: str
    content: bytes | None = None
    body: Any = None
    statuses: tuple[int, ...] = (400, 422)
    content_type: str = "application/json"


JSON = "application/json"


def nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def catalogue(structure_id: str, contract_id: str) -> list[Hostile]:
    structure = structure_body()
    salarie = salarie_body()
    mission = mission_body(structure_id)
    hours = f"/v1/contracts/{contract_id}/hours/2024-02"
    big = "x" * 1_000_000
    return [
        # sizes
        Hostile(
            "body over the limit",
            "POST",
            "/v1/salaries",
            body=salarie | {"last_name": "x" * 1_100_000},
            statuses=(413,),
        ),
        Hostile(
            "content-length over the limit",
            "POST",
            "/v1/missions",
            content=b"{" + b" " * 1_048_600 + b"}",
            statuses=(413,),
        ),
        Hostile(
            "1 MB string (just under the body limit)",
            "POST",
            "/v1/salaries",
            body=salarie | {"last_name": big[:1_000_000]},
            statuses=(422,),
        ),
        Hostile(
            "1 MB string, hot path",
            "POST",
            "/v1/missions",
            body=mission | {"title": big[:1_000_000]},
            statuses=(422,),
        ),
        Hostile(
            "1 MB string in a query",
            "GET",
            "/v1/salaries?q=" + "x" * 60_000,
            statuses=(400, 414, 422, 431),
        ),
        # structure of the JSON
        Hostile(
            "JSON nested 10 000 deep",
            "POST",
            "/v1/salaries",
            content=nested(10_000),
            statuses=(400, 422),
        ),
        Hostile(
            "JSON nested 10 000 deep, hot path",
            "POST",
            "/v1/missions",
            content=nested(10_000),
            statuses=(400, 422),
        ),
        Hostile(
            "JSON nested 10 000 deep, bulk",
            "POST",
            "/v1/missions/bulk",
            content=b"[" * 10_000 + b"]" * 10_000,
            statuses=(400, 422),
        ),
        Hostile(
            "invalid UTF-8",
            "POST",
            "/v1/salaries",
            content=b'{"first_name": "\xff\xfe\xc3(", "last_name": "a"}',
        ),
        Hostile("invalid UTF-8, hot path", "PUT", hours, content=b'{"hours": "\xff\xfe"}'),
        Hostile(
            "overlong UTF-8 encoding of /",
            "POST",
            "/v1/salaries",
            content=orjson.dumps(salarie).replace(b"Ma\xc3\xablle", b"\xc0\xaf"),
        ),
        Hostile("truncated JSON", "POST", "/v1/structures", content=b'{"siret": "7328'),
        Hostile("JSON that is a string", "POST", "/v1/structures", content=b'"structure"'),
        Hostile("JSON null", "POST", "/v1/missions", content=b"null"),
        Hostile("empty body", "POST", "/v1/salaries", content=b""),
        Hostile("duplicate keys", "PUT", hours, content=b'{"hours": "10", "hours": "-5"}'),
        # characters PostgreSQL refuses
        Hostile(
            "NUL byte in a name", "POST", "/v1/salaries", body=salarie | {"first_name": "Ma\x00lle"}
        ),
        Hostile(
            "NUL byte in a title, hot path",
            "POST",
            "/v1/missions",
            body=mission | {"title": "PO\x00"},
        ),
        Hostile(
            "NUL byte in a structure name",
            "POST",
            "/v1/structures",
            body=structure | {"name": "A\x00B"},
        ),
        Hostile("NUL byte in a query", "GET", "/v1/salaries?q=ab%00cd"),
        Hostile(
            "lone surrogate",
            "POST",
            "/v1/salaries",
            content=orjson.dumps(salarie | {"first_name": "@@"}).replace(b"@@", b"\\ud800"),
        ),
        # numbers
        Hostile(
            "integer beyond int64",
            "POST",
            "/v1/parcours/{parcours}/actions",
            content=b'{"kind": "entretien", "done_on": "2024-02-01", "duration_minutes": '
            + str(2**70).encode()
            + b"}",
        ),
        Hostile(
            "integer beyond int32",
            "POST",
            "/v1/parcours/{parcours}/actions",
            body={"kind": "entretien", "done_on": "2024-02-01", "duration_minutes": 2**40},
        ),
        Hostile("hours beyond numeric(6,2)", "PUT", hours, body={"hours": "1e30"}),
        Hostile("hours with 400 digits", "PUT", hours, body={"hours": "9" * 400}),
        Hostile("NaN", "PUT", hours, content=b'{"hours": NaN}'),
        Hostile("NaN as a string", "PUT", hours, body={"hours": "NaN"}),
        Hostile(
            "Infinity",
            "POST",
            "/v1/missions",
            content=orjson.dumps(mission).replace(b'"48500.00"', b"Infinity"),
        ),
        Hostile(
            "amount as -0 and exponent",
            "POST",
            "/v1/missions",
            body=mission | {"amount_ht": "-1e-400"},
        ),
        Hostile("limit beyond int64", "GET", "/v1/missions?limit=99999999999999999999999"),
        Hostile(
            "year beyond int64",
            "GET",
            "/v1/indicators/etp_realises?from=99999999999999999999-01&to=2025-12",
        ),
        # dates
        Hostile(
            "date 0000-00-00", "POST", "/v1/salaries", body=salarie | {"birth_date": "0000-00-00"}
        ),
        Hostile(
            "date 9999-12-31 as a PASS start",
            "PUT",
            "/v1/salaries/{salarie}/pass-iae",
            body={"number": "999992412345", "start_date": "9999-12-31"},
        ),
        Hostile(
            "date 9999-12-31 as a contract end",
            "POST",
            "/v1/parcours/{parcours}/contracts",
            body={
                "kind": "cddi",
                "start_date": "2024-01-15",
                "end_date": "9999-12-31",
                "weekly_hours": "26",
            },
        ),
        Hostile(
            "date 9999-12-31 as a mission end",
            "POST",
            "/v1/missions",
            body=mission | {"end_date": "9999-12-31"},
        ),
        Hostile(
            "date 9999-12-31 as a suspension",
            "POST",
            "/v1/salaries/{salarie}/pass-iae/adjustments",
            body={
                "kind": "suspension",
                "reason": "arret_maladie",
                "start_date": "9999-12-01",
                "end_date": "9999-12-31",
            },
        ),
        Hostile(
            "month 9999-12 in a path",
            "PUT",
            f"/v1/contracts/{contract_id}/hours/9999-12",
            body={"hours": "10"},
        ),
        Hostile(
            "month 0000-00 in a path",
            "PUT",
            f"/v1/contracts/{contract_id}/hours/0000-00",
            body={"hours": "10"},
        ),
        Hostile(
            "date 2025-02-30", "POST", "/v1/salaries", body=salarie | {"birth_date": "1991-02-30"}
        ),
        Hostile("period to 9999-12", "GET", "/v1/indicators/etp_realises?from=0001-01&to=9999-12"),
        Hostile(
            "datetime far in the past (instants are bounded to 1900-2199, as dates are)",
            "GET",
            "/v1/salaries?updated_since=0001-01-01T00:00:00-23:59",
        ),
        Hostile(
            "datetime past year 9999 in UTC",
            "GET",
            "/v1/missions?updated_since=9999-12-31T23:59:59-14:00",
        ),
        # look-alikes
        Hostile(
            "SIRET in fullwidth digits",
            "POST",
            "/v1/structures",
            body=structure | {"siret": to_fullwidth(new_siret())},
        ),
        Hostile(
            "SIRET in Arabic-Indic digits",
            "POST",
            "/v1/structures",
            body=structure | {"siret": to_arabic_indic(new_siret())},
        ),
        Hostile(
            "SIRET with a zero-width space",
            "POST",
            "/v1/structures",
            body=structure | {"siret": new_siret()[:7] + "\u200b" + new_siret()[7:]},
        ),
        Hostile(
            "postal code in fullwidth digits",
            "POST",
            "/v1/structures",
            body=structure | {"postal_code": to_fullwidth("29200")},
        ),
        Hostile(
            "commune code in Devanagari digits",
            "POST",
            "/v1/salaries",
            body=salarie | {"commune_code": "२९०१९"},
        ),
        Hostile(
            "PASS number in fullwidth",
            "PUT",
            "/v1/salaries/{salarie}/pass-iae",
            body={"number": to_fullwidth("999992412345"), "start_date": "2024-01-01"},
        ),
        Hostile(
            "enum value with a Cyrillic a",
            "POST",
            "/v1/structures",
            body=structure | {"kind": "\u0410CI"},
        ),
        Hostile("UUID in fullwidth", "GET", "/v1/structures/" + to_fullwidth(structure_id)),
        # unknown fields and wrong types
        Hostile("unknown field", "POST", "/v1/salaries", body=salarie | {"is_admin": True}),
        Hostile(
            "unknown field, hot path",
            "POST",
            "/v1/missions",
            body=mission | {"approved_by_state": True},
        ),
        Hostile(
            "unknown field on PATCH",
            "PATCH",
            f"/v1/structures/{structure_id}",
            body={"siren": "123"},
        ),
        Hostile("unknown field on PUT hours", "PUT", hours, body={"hours": "10", "rate": 1}),
        Hostile(
            "number where text is due", "POST", "/v1/salaries", body=salarie | {"last_name": 12}
        ),
        Hostile(
            "object where a list is due",
            "POST",
            "/v1/salaries",
            body=salarie | {"criteria": {"rsa": True}},
        ),
        Hostile(
            "bool as a string",
            "POST",
            "/v1/salaries",
            body=salarie | {"residence_qpv": "yes please"},
        ),
        # cursors
        Hostile(
            "a cursor from another list",
            "GET",
            "/v1/structures?cursor={salaries_cursor}",
            statuses=(400,),
        ),
        Hostile("a forged cursor", "GET", "/v1/missions?cursor=eyJhIjoxfQ.AAAA", statuses=(400,)),
        Hostile("a cursor of garbage", "GET", "/v1/parcours?cursor=%00%ff..", statuses=(400, 422)),
        # headers
        Hostile(
            "If-Match of 10 000 characters",
            "PATCH",
            f"/v1/structures/{structure_id}",
            body={"name": "B"},
            statuses=(400, 412, 422, 431),
        ),
        Hostile(
            "form-encoded body",
            "POST",
            "/v1/salaries",
            content=b"first_name=a",
            content_type="application/x-www-form-urlencoded",
            statuses=(415,),
        ),
    ]


async def count_records(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.__tablename__: int(
                await connection.scalar(select(func.count()).select_from(table)) or 0
            )
            for table in (Structure, Salarie, Mission, Action, PassIae, MonthlyHours)
        }


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text)


def to_arabic_indic(text: str) -> str:
    return "".join(chr(ord(c) - ord("0") + 0x0660) if "0" <= c <= "9" else c for c in text)


@dataclass
class Tenant:
    structure: dict[str, Any]
    salarie: dict[str, Any]
    parcours: dict[str, Any]
    contract_id: str
    keys: dict[str, dict[str, str]]
    salaries_cursor: str

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith("/v1/missions"):
            return self.keys["company"]
        if path.startswith(("/v1/structures", "/v1/indicators")):
            return self.keys["admin"]
        return self.keys["structure"]


@pytest.fixture
async def tenant(live_client: httpx.AsyncClient, make_live_key: KeyMaker) -> Tenant:
    client, make_key = live_client, make_live_key
    admin_headers = bearer(await make_key())
    from tests.support.records import create_company

    structure = await create_structure(client, admin_headers, kind="ACI")
    company = await create_company(client, admin_headers)
    rw = (Scope.read, Scope.write)
    own = bearer(await make_key(Role.structure, rw, structure_id=structure["id"]))
    salarie, parcours = await salarie_in_parcours(client, own)
    contract = await client.post(
        f"/v1/parcours/{parcours['id']}/contracts",
        headers=own,
        json={
            "kind": "cddi",
            "start_date": "2024-01-15",
            "end_date": "2024-07-14",
            "weekly_hours": "26",
        },
    )
    assert contract.status_code == 201, contract.text
    await salarie_in_parcours(client, own)
    page = (await client.get("/v1/salaries", headers=own, params={"limit": 1})).json()
    return Tenant(
        structure=structure,
        salarie=salarie,
        parcours=parcours,
        contract_id=contract.json()["id"],
        keys={
            "admin": admin_headers,
            "structure": own,
            "company": bearer(await make_key(Role.company, rw, company_id=company["id"])),
        },
        salaries_cursor=page["next_cursor"],
    )


async def test_hostile_inputs_get_problems_never_a_500(
    live_client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    client = live_client
    cases = catalogue(tenant.structure["id"], tenant.contract_id)
    before = await count_records(engine)
    wrong: list[str] = []
    for case in cases:
        path = case.path.format(
            parcours=tenant.parcours["id"],
            salarie=tenant.salarie["id"],
            salaries_cursor=tenant.salaries_cursor,
        )
        headers = tenant.headers_for(path) | {"Content-Type": case.content_type}
        if case.name.startswith("If-Match"):
            headers["If-Match"] = '"' + "9" * 10_000 + '"'
        content = case.content
        if content is None and case.body is not None:
            content = orjson.dumps(case.body)
        response = await client.request(case.method, path, headers=headers, content=content)
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        if response.status_code not in case.statuses or (response.status_code >= 400) != problem:
            wrong.append(f"{case.name}: {response.status_code} {response.text[:200]}")
    after = await count_records(engine)
    written = sum(after[table] - before[table] for table in before)
    record("hostile input", requests=len(cases), failures=len(wrong), records_written=written)
    assert not wrong, "\n".join(wrong)
    assert after == before, "a hostile request wrote something"


SQL_AND_HTML = [
    "Robert'); DROP TABLE structures;--",
    "<script>alert('x')</script>",
    '" OR 1=1 --',
    "<img src=x onerror=alert(1)>",
    "$$; SELECT pg_sleep(10); $$",
    "%_\\",
]


@pytest.mark.parametrize("text", SQL_AND_HTML)
async def test_sql_and_html_are_stored_and_returned_inert(
    client: httpx.AsyncClient, admin_headers: dict[str, str], text: str
) -> None:
    created = await create_structure(client, admin_headers, name=text)
    read = await client.get(f"/v1/structures/{created['id']}", headers=admin_headers)
    assert read.status_code == 200
    assert read.json()["name"] == text
    assert read.headers["content-type"] == "application/json"
    assert read.headers["x-content-type-options"] == "nosniff"
    listed = await client.get("/v1/structures", headers=admin_headers, params={"q": text[:50]})
    assert listed.status_code in (200, 422), listed.text


async def test_look_alike_names_are_kept_verbatim_and_distinct(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    structure = await create_structure(client, admin_headers)
    own = bearer(await make_key(Role.structure, structure_id=structure["id"]))
    latin = salarie_body(first_name="Anna", last_name="Martin")
    cyrillic = latin | {"first_name": "\u0410nna"}  # a Cyrillic capital A
    first = await client.post("/v1/salaries", headers=own, json=latin)
    second = await client.post("/v1/salaries", headers=own, json=cyrillic)
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json()["first_name"] == "\u0410nna"
    assert first.json()["id"] != second.json()["id"]


def test_catalogue_covers_each_kind_the_issue_names() -> None:
    names = " ".join(c.name for c in catalogue(str(uuid.uuid4()), str(uuid.uuid4())))
    for kind in (
        "over the limit",
        "10 000 deep",
        "1 MB",
        "invalid UTF-8",
        "NUL",
        "int64",
        "NaN",
        "0000-00-00",
        "9999-12-31",
        "fullwidth",
        "unknown field",
        "another list",
    ):
        assert kind in names, kind
