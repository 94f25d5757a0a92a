"""The fiche salarié's pure rules: every check, the line, the batch's limits, the
return file and the state machine."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import pytest

from app.fiches import rules
from app.fiches.rules import Commune, Country, FicheFacts, Returned, SentLine
from app.fiches.schemas import AspProfile, FicheStatus, Movement
from app.reference.enums import Gender, StructureKind

S = FicheStatus
BREST = Commune("29019", "BREST", dt.date(2000, 1, 1), None, None)
OLD_BREST = Commune("29019", "BREST", dt.date(1900, 1, 1), dt.date(1999, 12, 31), None)
NOUMEA = Commune("98818", "NOUMEA", dt.date(1900, 1, 1), None, "818")
PROFILE = AspProfile(
    birth_commune_code="29019",
    street_number="12",
    street_type="RUE",
    street_name="de Siam",
    postal_code="29200",
    education_level="50",
    orienteur="03",
    france_travail_since="02",
)
NIR = "291042901912345"


def facts(**changes: Any) -> FicheFacts:
    base = FicheFacts(
        siret="12345678900011",
        siren="123456789",
        kind=StructureKind.ACI,
        annexe_in_force=True,
        pass_number="999990000001",
        pass_start=dt.date(2024, 1, 1),
        pass_end=dt.date(2025, 12, 31),
        asp_uid="0" * 30,
        last_name="Le Goff",
        first_name="Maëlle",
        birth_date=dt.date(1991, 4, 12),
        gender=Gender.femme,
        residence_commune_code="29019",
        france_travail_id="1234567A",
        hired_on=dt.date(2024, 1, 15),
        profile=PROFILE,
        nir=NIR,
        birth_communes=(OLD_BREST, BREST),
        residence_communes=(OLD_BREST, BREST),
    )
    return dataclasses.replace(base, **changes)


def profile(**changes: Any) -> AspProfile:
    return AspProfile.model_validate(PROFILE.model_dump() | changes)


def failed(f: FicheFacts) -> dict[str, str | None]:
    return {c.pointer: c.asp_code for c in rules.checks(f)}


def test_complete_facts_pass_every_check() -> None:
    assert rules.checks(facts()) == []


@pytest.mark.parametrize(
    ("changes", "pointer", "code"),
    [
        ({"annexe_in_force": False}, "/structure/annexes", "3435"),
        ({"pass_number": None}, "/pass_iae/number", None),
        ({"pass_number": "12345"}, "/pass_iae/number", None),
        ({"hired_on": None}, "/parcours", None),
        ({"hired_on": dt.date.today() + dt.timedelta(days=3)}, "/parcours/entry_date", None),
        ({"gender": Gender.non_precise}, "/asp_profile/civilite", None),
        ({"last_name": "Le Goff 2"}, "/salarie/last_name", None),
        ({"first_name": None}, "/salarie/first_name", None),
        ({"birth_date": dt.date(2010, 1, 1), "nir": None}, "/salarie/birth_date", None),
        ({"birth_communes": ()}, "/asp_profile/birth_commune_code", "3308"),
        ({"residence_communes": ()}, "/salarie/commune_code", "3417"),
        ({"residence_communes": (OLD_BREST,)}, "/salarie/commune_code", "3417"),
        ({"residence_commune_code": None}, "/salarie/commune_code", None),
        ({"france_travail_id": "12345678901234"}, "/salarie/france_travail_id", None),
        ({"france_travail_id": None}, "/asp_profile/france_travail_since", None),
    ],
)
def test_each_check_names_its_field_and_asp_code(
    changes: dict[str, Any], pointer: str, code: str | None
) -> None:
    found = failed(facts(**changes))
    assert pointer in found, found
    assert found[pointer] == code


@pytest.mark.parametrize(
    ("changes", "pointer", "code"),
    [
        ({"birth_commune_code": None}, "/asp_profile/birth_commune_code", "3411"),
        ({"birth_country_code": "351"}, "/asp_profile/birth_commune_code", "3411"),
        ({"street_type": None}, "/asp_profile/street_type", None),
        ({"street_name": "rue très longue " * 4}, "/asp_profile/street_name", "3330"),
        ({"street_name": "d'Alésia"}, "/asp_profile/street_name", "3330"),
        ({"address_complement": "Bât. A, esc. 2"}, "/asp_profile/address_complement", "3333"),
        ({"street_number": None, "street_extension": "B"}, "/asp_profile/street_extension", "3323"),
        ({"education_level": None}, "/asp_profile/education_level", None),
        ({"orienteur": None}, "/asp_profile/orienteur", "T030_c029"),
        ({"rsa": "OUI-M"}, "/asp_profile/rsa_since", None),
        ({"rsa_since": "01"}, "/asp_profile/rsa_since", None),
        ({"creation_actor": "BGE"}, "/asp_profile/creation_actor", None),
        ({"monthly_income": Decimal("1200")}, "/asp_profile/monthly_income", None),
    ],
)
def test_each_profile_check(changes: dict[str, Any], pointer: str, code: str | None) -> None:
    found = failed(facts(profile=profile(**changes)))
    assert pointer in found, found
    assert found[pointer] == code


def test_born_abroad_needs_a_foreign_country_of_the_table() -> None:
    abroad = profile(birth_commune_code=None, birth_country_code="351")
    tunisia = Country("351", "TUNISIE", "3")
    assert rules.checks(facts(profile=abroad, birth_country=tunisia, birth_communes=())) == []
    assert "/asp_profile/birth_country_code" in failed(facts(profile=abroad, birth_communes=()))
    france = profile(birth_commune_code=None, birth_country_code="100")
    found = failed(facts(profile=france, birth_country=Country("100", "FRANCE", "1")))
    assert found["/asp_profile/birth_country_code"] == "3411"
    person = rules.line(facts(profile=abroad, birth_country=tunisia), 1, Movement.creation)[
        "personnePhysique"
    ]
    assert person["codeComInsee"] == {"codeComInsee": None, "codeDpt": "099"}
    assert (person["codeInseePays"], person["codeGroupePays"]) == ("351", "3")


def test_a_commune_the_asp_files_as_a_country() -> None:
    born = facts(profile=profile(birth_commune_code="98818"), birth_communes=(NOUMEA,))
    assert rules.checks(born) == []
    person = rules.line(born, 1, Movement.creation)["personnePhysique"]
    assert person["codeComInsee"] == {"codeComInsee": None, "codeDpt": "099"}
    assert (person["codeInseePays"], person["codeGroupePays"]) == ("818", "1")


def test_the_birth_commune_is_the_one_of_the_birth_date() -> None:
    assert rules.checks(facts(birth_communes=(OLD_BREST,))) == []
    assert "/asp_profile/birth_commune_code" in failed(facts(birth_communes=(BREST,)))


@pytest.mark.parametrize(
    ("departement", "commune"), [("029", "29019"), ("02A", "2A004"), ("971", "97105")]
)
def test_birth_departement(departement: str, commune: str) -> None:
    assert rules.birth_departement(commune) == departement


@pytest.mark.parametrize(
    ("nir", "gender", "reason"),
    [
        ("191042901912345", Gender.femme, "civilité"),
        ("292042901912345", Gender.femme, "year"),
        ("291052901912345", Gender.femme, "year or month"),
        ("269054958815780", Gender.femme, "takes"),
        ("291132901912345", Gender.femme, "takes"),  # month 13
    ],
)
def test_a_nir_agrees_with_the_person(nir: str, gender: Gender, reason: str) -> None:
    (check,) = [c for c in rules.checks(facts(nir=nir, gender=gender)) if c.pointer.endswith("nir")]
    assert reason in check.detail


def test_an_unknown_birth_month_passes() -> None:
    assert rules.checks(facts(nir="291202901912345")) == []


def test_without_a_nir_or_with_a_nia_an_ntt_is_needed() -> None:
    assert failed(facts(nir=None))["/asp_profile/ntt"] == "3501"
    assert failed(facts(nir="791042901912345"))["/asp_profile/ntt"] == "3501"
    good = profile(ntt="2123456789ABC")
    assert rules.checks(facts(nir=None, profile=good)) == []
    line = rules.line(facts(nir="791042901912345", profile=good), 1, Movement.creation)
    assert line["personnePhysique"]["salarieNIR"] == "2123456789ABC"
    for ntt in ("1123456789ABC", "2999999999ABC"):  # M for a woman; another SIREN
        assert "/asp_profile/ntt" in failed(facts(nir=None, profile=profile(ntt=ntt)))


def test_eiti_fields_are_an_eitis_only() -> None:
    eiti = profile(creation_actor="Réseau Entreprendre", monthly_income=Decimal("1234.5"))
    assert rules.checks(facts(kind=StructureKind.EITI, profile=eiti)) == []
    situation = rules.line(facts(kind=StructureKind.EITI, profile=eiti), 1, Movement.creation)[
        "situationSalarie"
    ]
    assert situation["nomActeurCreationEntr"] == "RESEAU ENTREPRENDRE"
    assert situation["revenuMensuelMoyenTI"] == "1234,50"
    assert (situation["cotisationsTI"], situation["salarieOETH"]) == ("06", False)
    assert situation["salarieTypeEmployeur"] is None or situation["salarieEnEmploi"]
    missing = failed(facts(kind=StructureKind.EITI))
    assert {"/asp_profile/creation_actor", "/asp_profile/monthly_income"} <= set(missing)
    aci = rules.line(facts(), 1, Movement.creation)["situationSalarie"]
    assert (aci["salarieBenefARE"], aci["nomActeurCreationEntr"], aci["cotisationsTI"]) == (
        None,
        None,
        None,
    )


def test_names_are_upper_ascii_and_first_names_cut_at_30() -> None:
    assert rules.ascii_upper("Maëlle-Çhloé") == "MAELLE-CHLOE"
    assert rules.first_names("Jean-Philippe René Hippolyte Gilbert Dufaël") == (
        "JEAN-PHILIPPE RENE HIPPOLYTE"
    )


def test_the_situation_follows_the_profile() -> None:
    line = rules.line(
        facts(profile=profile(unemployed_since="04", rsa="OUI-M", rsa_since="03", aah_since="01")),
        7,
        Movement.creation,
    )
    situation = line["situationSalarie"]
    assert (situation["salarieEnEmploi"], situation["salarieTypeEmployeur"]) == (False, None)
    assert situation["salarieSansEmploiDepuis"] == "04"
    assert (situation["salarieAideSociale"], situation["salarieBenefAAH"]) == (True, True)
    employed = rules.line(facts(), 1, Movement.creation)["situationSalarie"]
    assert (employed["salarieEnEmploi"], employed["salarieTypeEmployeur"]) == (True, "04")
    assert employed["salarieAideSociale"] is False
    assert list(line)[:4] == ["numLigne", "typeMouvement", "siret", "mesure"]
    assert line["numLigne"] == 7


def test_a_batch_takes_700_lines_and_2_mib_at_most() -> None:
    small = [b"{}"] * 701
    assert rules.lines_that_fit(small) == 700
    big = [b"x" * (1024 * 1024)] * 3
    assert rules.lines_that_fit(big) == 1
    assert rules.lines_that_fit([]) == 0
    body = rules.batch_body([b'{"a":1}', b'{"b":2}'])
    assert orjson.loads(body) == {
        "msgInformatif": None,
        "telId": None,
        "lignesTelechargement": [{"a": 1}, {"b": 2}],
    }


def test_file_names() -> None:
    at = dt.datetime(2026, 11, 27, 9, 55, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rules.file_name(at) == "RIAE_FS_20261127085501.json"
    assert rules.file_time("RIAE_FS_20261127085501.json") == at
    assert rules.file_time(None) is None
    assert rules.return_file_name("RIAE_FS_20261127085501.json") == (
        "RIAE_FS_20261127085501_FichierRetour.json"
    )


SENT = [
    SentLine(1, "999990000001", "12345678900011"),
    SentLine(2, "999990000002", "12345678900011"),
]


def returned_line(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "numLigne": number,
        "typeMouvement": "C",
        "siret": "12345678900011",
        "personnePhysique": {"passIae": f"99999000000{number}"},
        "codeTraitement": "0000",
        "libelleTraitement": "ok",
    } | changes


def read(lines: Any) -> tuple[list[Returned], list[rules.ReturnProblem]]:
    return rules.read_return(orjson.dumps({"lignesTelechargement": lines}), Movement.creation, SENT)


def test_a_return_file_is_read_line_by_line() -> None:
    answers, problems = read([returned_line(1), returned_line(2, codeTraitement="3417")])
    assert problems == []
    assert [(a.number, a.code) for a in answers] == [(1, "0000"), (2, "3417")]


@pytest.mark.parametrize(
    ("lines", "pointer"),
    [
        ([returned_line(3)], "/body/lignesTelechargement/0/numLigne"),
        ([returned_line(1), returned_line(1)], "/body/lignesTelechargement/1/numLigne"),
        ([returned_line(1, typeMouvement="M")], "/body/lignesTelechargement/0/typeMouvement"),
        ([returned_line(1, codeTraitement=None)], "/body/lignesTelechargement/0/codeTraitement"),
        ([returned_line(1, codeTraitement="00")], "/body/lignesTelechargement/0/codeTraitement"),
        ([returned_line(1, libelleTraitement=3)], "/body/lignesTelechargement/0/libelleTraitement"),
        (
            [returned_line(1, siret="98765432100011")],
            "/body/lignesTelechargement/0/personnePhysique/passIae",
        ),
        (
            [returned_line(2, personnePhysique={})],
            "/body/lignesTelechargement/0/personnePhysique/passIae",
        ),
        ([returned_line(1, numLigne=True)], "/body/lignesTelechargement/0/numLigne"),
        (["line"], "/body/lignesTelechargement/0"),
        ({"a": 1}, "/body/lignesTelechargement"),
    ],
)
def test_a_malformed_return_is_refused(lines: Any, pointer: str) -> None:
    _, problems = read(lines)
    assert [p.pointer for p in problems] == [pointer]


def test_a_return_that_is_not_json() -> None:
    _, problems = rules.read_return(b"{", Movement.creation, SENT)
    assert [p.pointer for p in problems] == ["/body"]


@pytest.mark.parametrize(
    ("movement", "code", "status", "duplicate"),
    [
        (Movement.creation, "0000", S.processed, False),
        (Movement.creation, "3436", S.processed, True),
        (Movement.creation, "3437", S.rejected, False),
        (Movement.creation, "3308", S.rejected, False),
        (Movement.modification, "0000", S.processed, False),
        (Movement.modification, "3436", S.rejected, False),
    ],
)
def test_what_each_code_does(
    movement: Movement, code: str, status: FicheStatus, duplicate: bool
) -> None:
    outcome = rules.outcome(movement, Returned(1, code, "label"))
    assert (outcome.status, outcome.duplicate) == (status, duplicate)


ALLOWED = {
    (S.new, S.ready),
    (S.rejected, S.ready),
    (S.disabled, S.ready),
    (S.processed, S.ready),
    (S.new, S.disabled),
    (S.rejected, S.disabled),
    (S.processed, S.disabled),
    (S.disabled, S.new),
    (S.archived, S.new),
    *((current, S.archived) for current in S if current not in (S.sent, S.archived)),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_the_state_machine(current: FicheStatus, target: FicheStatus) -> None:
    refusal = rules.requested_transition_refusal(current, target)
    assert (refusal is None) == ((current, target) in ALLOWED), refusal


@pytest.mark.parametrize(
    ("code", "status"),
    [(None, S.new), ("0000", S.processed), ("3436", S.processed), ("3308", S.rejected)],
)
def test_unarchiving_restores_what_the_last_code_says(
    code: str | None, status: FicheStatus
) -> None:
    assert rules.unarchived_status(code) is status
