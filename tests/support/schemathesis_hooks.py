"""What `schemathesis run --checks all` must know of jalon that no JSON Schema can say.

Loaded with ``SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks``. Each exclusion is
named after the constraint it stands for, and each constraint is stated in the
contract (a field's or an operation's description, or a problem type's): every check
stays on, and a failure outside these names is a failure.
"""

import datetime as dt
import re
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure
from stdnum import luhn

from app.contract import ORDERED_PAIRS
from app.indicators.catalogue import CATALOGUE, TIME, Dimension
from app.indicators.service import MAX_YEARS

# Problem types that answer what the stored records say, not what the request is: a
# schema-valid request meets them when it names records that do not exist, breaks a
# rule over what is stored, or carries a precondition about it (see the contract's
# description of each type). Schema-level failures (validation-failed) stay failures.
DEPENDS_ON_STORED_RECORDS = frozenset(
    {
        "rules-broken",
        "unknown-reference",
        "precondition-failed",
        "idempotency-key-reused",
        "cursor-invalid",
        "target-refused",  # the URL's host, as DNS answers today
        "fiche-salarie-incomplete",  # the facts stored about the salarié
        "return-file-refused",  # the lines the batch sent
    }
)
PROBLEM_BASE = "https://jalon.dev/problems/"

# Constraints across fields, or on a string's value, that the contract states in words
# (each on its field or operation); a refusal whose every field error is one of these
# is no contract gap. The generation hooks below avoid most such requests; these names
# catch those built where the hooks do not run (examples, stateful chains).
NAMED_CONSTRAINTS = {
    "periods are ordered": r"is before|^before from$|^on or after ",
    "an indicator's period spans under ten years": r"^too far$",
    "an annexe lies within its year": r"^Value error, an annexe of \d+ (starts|ends) in \d+$",
    "the modulation is bounded by the settings": r"% of the socle$",
    "a decimal's bounds, stated in its description": r"^Input should be (less|greater) than",
    "an admin key names whom it writes for": r"^required for an admin key$",
    "a SIRET passes its checksum": r"fails its checksum",
    "a NIR carries its control key": r"^Value error, not a valid NIR",
    "each indicator lists its dimensions": r"cannot be grouped by|one time dimension at most",
    "a birth date is in the past": r"^Value error, the birth date is in the past",
    "a batch is for one company, each reference once": r"^a batch is for one company$"
    r"|^this external_ref is already in the batch$",
    "a diagnostic lists each criterion once": r"^Value error, each criterion is listed once$",
    "only some criteria are certified by a state source": r"is not certified by a state source$",
    "a diagnostic is recorded once made": r"^a diagnostic is recorded once made",
    "a structure's months are listed 60 at a time": r"^from 1 to \d+ months",
}
_NAMED = re.compile("|".join(f"(?:{pattern})" for pattern in NAMED_CONSTRAINTS.values()))


# Dates and instants from 1900 to 2199 (stated on each, and as a pattern): drawn
# there, rather than drawn from 0001-9999 and mostly filtered out by the pattern
_DAYS = st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31))
schemathesis.openapi.format("date", _DAYS.map(dt.date.isoformat))
schemathesis.openapi.format(
    "date-time",
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2199, 12, 31, 23, 59)).map(
        lambda instant: instant.isoformat() + "Z"
    ),
)


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    """The contract types an NDJSON body as bytes: sent as they were generated."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return getattr(value, "data", b"") or b""


@schemathesis.hook
def filter_failure(ctx: Any, failure: Failure, case: Any, response: Any) -> bool:
    """A schema-valid request refused for what is stored is no contract gap."""
    if failure.code != "ST202":
        return True
    return not _answers_from_stored_records(response)


def _answers_from_stored_records(response: Any) -> bool:
    try:
        problem = response.json()
    except ValueError:
        return False
    return isinstance(problem, dict) and _excused(problem)


def _excused(problem: dict[str, Any]) -> bool:
    """The problem answers what is stored, or a named constraint."""
    slug = str(problem.get("type", "")).removeprefix(PROBLEM_BASE)
    errors = problem.get("errors") or []
    if slug == "validation-failed" and errors:
        return all(_NAMED.search(str(error.get("detail", ""))) for error in errors)
    if slug == "batch-rejected":  # atomic: refused as a whole for its items' problems
        problems = [item["problem"] for item in problem.get("items", []) if item.get("problem")]
        return bool(problems) and all(_excused(item) for item in problems)
    return slug in DEPENDS_ON_STORED_RECORDS


def _order_the_periods(case: Any) -> None:
    """from ≤ to, and an indicator period spans fewer than ten calendar years: a
    generated pair is put in order, and its end brought within the span."""
    bodies = case.body if isinstance(case.body, list) else [case.body]
    for values in (case.query, *bodies):
        if not isinstance(values, dict):
            continue
        for start, end in ORDERED_PAIRS:
            first, last = values.get(start), values.get(end)
            if not (isinstance(first, str) and isinstance(last, str)):
                continue
            if last < first:
                values[start], values[end] = first, last = last, first
            months = len(first) == len(last) == 7  # YYYY-MM: an indicator's period
            if months and first[:4].isdigit() and last[:4].isdigit():
                span = int(last[:4]) - int(first[:4])
                values[end] = f"{int(first[:4]) + span % MAX_YEARS:04d}{last[4:]}"
                if values[end] < first:
                    values[end] = first


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    """Generated values made to meet the constraints stated in words: SIRETs pass
    their Luhn checksum (the last digit made the check digit), NIRs carry their key,
    periods are ordered, groupings fit their indicator."""
    for values in (case.query, case.body if isinstance(case.body, dict) else None):
        if isinstance(values, dict) and isinstance(values.get("siret"), str):
            values["siret"] = _with_check_digit(values["siret"])
        if isinstance(values, dict) and isinstance(values.get("nir"), str):
            values["nir"] = _with_control_key(values["nir"])
    _order_the_periods(case)
    if case.operation.path == "/v1/indicators/{code}" and isinstance(case.query, dict):
        _fit_the_grouping(str((case.path_parameters or {}).get("code")), case.query)
    return case


def _fit_the_grouping(code: str, query: dict[str, Any]) -> None:
    """Each indicator lists its dimensions (GET /v1/indicators): a generated grouping
    keeps those of the indicator, one time dimension, two at most."""
    found = CATALOGUE.get(code)
    group_by = query.get("group_by")
    if found is None or not isinstance(group_by, list):
        return
    kept: list[str] = []
    for value in group_by:
        dimension = next((d for d in found.dimensions if d.value == value), None)
        time_taken = any(Dimension(v) in TIME for v in kept)
        if dimension is None or value in kept or (dimension in TIME and time_taken):
            continue
        kept.append(value)
    query["group_by"] = kept[:2]


def _with_control_key(nir: str) -> str:
    """NIRs carry their control key (stated on the field)."""
    if len(nir) != 15 or not nir.isascii():
        return nir
    body = nir[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit():
        return nir
    return f"{nir[:13]}{97 - int(body) % 97:02d}"


def _with_check_digit(siret: str) -> str:
    digits = siret.replace(" ", "").replace(".", "")
    if len(digits) != 14 or not (digits.isascii() and digits.isdigit()):
        return siret  # not a SIRET's shape: negative data, left as generated
    return digits[:13] + luhn.calc_check_digit(digits[:13])
