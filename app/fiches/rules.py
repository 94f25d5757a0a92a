"""The fiche salarié's rules, pure: its state machine, the checks the ASP applies
before it integrates a line, the line itself, the batch file around it, and the
reading of the ASP's return file (``ASP_FS.md`` in the shared docs)."""

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from anyascii import anyascii

from app.fiches import reference
from app.fiches.schemas import AspProfile, Civilite, FicheStatus, Movement, Rsa
from app.reference.enums import Gender, StructureKind

S = FicheStatus

# what a caller may ask (sent, processed and rejected come from batches and returns)
TRANSITIONS: Mapping[FicheStatus, frozenset[FicheStatus]] = {
    S.ready: frozenset({S.new, S.rejected, S.disabled, S.processed}),
    S.disabled: frozenset({S.new, S.rejected, S.processed}),
    # "enable" a disabled fiche; "unarchive" one (to what its last ASP code says)
    S.new: frozenset({S.disabled, S.archived}),
    S.archived: frozenset(set(S) - {S.sent, S.archived}),
}
REQUESTABLE = frozenset(TRANSITIONS)

MAX_LINES = 700
MAX_BYTES = 2 * 1024 * 1024
FILE_PREFIX = "RIAE_FS_"
RETURN_SUFFIX = "_FichierRetour"
INTEGRATED, DUPLICATE, ID_MISMATCH = "0000", "3436", "3437"
DUPLICATE_LABEL = "Statut forcé suite à doublon ASP"
# the envelope around the lines, in the ASP's key order (compact, as DRF renders it)
_ENVELOPE_OPEN = b'{"msgInformatif":null,"telId":null,"lignesTelechargement":['
_ENVELOPE_CLOSE = b"]}"

FRANCE = "100"
ABROAD_DEPARTEMENT = "099"
FICTITIOUS_NIR = "269054958815780"
_NIR = re.compile(r"^[123478][0-9]{4}(2[AB]|[0-9]{2})[0-9]{6}[0-9]{2}$")
_NTT = re.compile(r"^[12][0-9]{9}[0-9a-zA-Z]{1,30}$")
_FRANCE_TRAVAIL_ID = re.compile(r"^([0-9]{7}[0-9A-Z]|[0-9]{11})$")
_ADDRESS_TEXT = re.compile(r"^[a-zA-Z0-9@ ]{0,32}$")
_NAME = re.compile(r"^[A-Z][A-Z '-]*$")
_EMPLOYER_TYPE = {
    StructureKind.EI: "01",
    StructureKind.ETTI: "02",
    StructureKind.AI: "03",
    StructureKind.ACI: "04",
}
_OTHER_EMPLOYER = "07"
_MIN_AGE, _MAX_AGE = 16, 100


def requested_transition_refusal(current: FicheStatus, target: FicheStatus) -> str | None:
    """Why a caller may not move a fiche from ``current`` to ``target`` (None: it may)."""
    if target not in REQUESTABLE:
        return f"{target} is set by a batch or its return file, not on request"
    if current not in TRANSITIONS[target]:
        allowed = ", ".join(sorted(TRANSITIONS[target]))
        return f"a fiche goes to {target} from {allowed} only, not from {current}"
    return None


def unarchived_status(asp_code: str | None) -> FicheStatus:
    """The status an archived fiche goes back to, from the last code the ASP gave it."""
    if asp_code is None:
        return S.new
    if asp_code in (INTEGRATED, DUPLICATE):
        return S.processed
    return S.rejected


# ----- the facts and the checks ------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    """An entry of the ASP's commune table (a code may have several over time)."""

    code: str
    name: str
    start: dt.date
    end: dt.date | None
    as_country: str | None  # the country code the ASP files this commune's births under

    def exists_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    group: str


@dataclass(frozen=True)
class FicheFacts:
    """Everything a fiche's line is made of, gathered from jalon's records."""

    siret: str
    siren: str
    kind: StructureKind
    annexe_in_force: bool  # today (the ASP refuses a structure without one: 3435)
    pass_number: str | None
    pass_start: dt.date
    pass_end: dt.date
    asp_uid: str
    last_name: str | None
    first_name: str | None
    birth_date: dt.date | None
    gender: Gender
    residence_commune_code: str | None
    france_travail_id: str | None
    hired_on: dt.date | None
    profile: AspProfile | None
    nir: str | None
    birth_communes: Sequence[Commune] = ()
    residence_communes: Sequence[Commune] = ()
    birth_country: Country | None = None


@dataclass(frozen=True)
class Check:
    """A failed check: where to fix it in jalon, the ASP's field, and its error code."""

    pointer: str
    detail: str
    asp_field: str
    asp_code: str | None = None


@dataclass
class _Checks:
    found: list[Check] = field(default_factory=list)

    def add(self, pointer: str, detail: str, asp_field: str, asp_code: str | None = None) -> None:
        self.found.append(Check(pointer, detail, asp_field, asp_code))


PROFILE, SALARIE, PASS, STRUCTURE = "/asp_profile", "/salarie", "/pass_iae", "/structure"


def ascii_upper(text: str) -> str:
    """Transliterated to ASCII and upper-cased, as the ASP reads names."""
    return anyascii(text).upper().strip()


def first_names(text: str) -> str:
    """At most 30 characters, cut back to the last whole name."""
    names = ascii_upper(text)
    if len(names) <= 30:
        return names
    cut = names[:30]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def address_text(text: str) -> str:
    """Transliterated to ASCII, without the parentheses the ASP refuses (3330)."""
    return anyascii(text).replace("(", "").replace(")", "").strip()


def civilite(facts: FicheFacts) -> Civilite | None:
    if facts.profile is not None and facts.profile.civilite is not None:
        return facts.profile.civilite
    return {Gender.femme: Civilite.MME, Gender.homme: Civilite.M}.get(facts.gender)


def birth_departement(commune_code: str) -> str:
    """The ASP's 3-character département of a commune: 0 and its first two characters,
    or its first three overseas (97x, 98x)."""
    if commune_code[:2] in ("97", "98"):
        return commune_code[:3]
    return "0" + commune_code[:2]


def birth_commune(facts: FicheFacts) -> Commune | None:
    """The entry of the profile's birth commune on the birth date (None: born abroad,
    or no such entry)."""
    code = facts.profile.birth_commune_code if facts.profile else None
    if facts.birth_date is None or code is None:
        return None
    day = facts.birth_date
    return next((c for c in facts.birth_communes if c.code == code and c.exists_on(day)), None)


def nir_sent(facts: FicheFacts) -> str | None:
    """The NIR the line carries: a NIR proper (not a NIA, which starts with 7 or 8)."""
    if facts.nir is not None and facts.nir[0] not in "78":
        return facts.nir
    return None


def checks(facts: FicheFacts) -> list[Check]:
    """Every check the ASP is known to apply to a creation line, in the line's order;
    empty: the line would be taken."""
    found = _Checks()
    _check_structure(facts, found)
    _check_person(facts, found)
    _check_birth_place(facts, found)
    _check_nir(facts, found)
    profile = facts.profile or AspProfile()
    _check_address(facts, profile, found)
    _check_situation(facts, profile, found)
    return found.found


def _check_structure(facts: FicheFacts, found: _Checks) -> None:
    if not facts.annexe_in_force:
        found.add(
            f"{STRUCTURE}/annexes",
            "no annexe financière is in force today: the ASP takes the fiches of a "
            "structure with a valid annexe",
            "siret",
            "3435",
        )
    if facts.pass_number is None or not re.fullmatch(r"[0-9A-Z]{12}", facts.pass_number):
        found.add(
            f"{PASS}/number",
            "a PASS IAE number of 12 letters and digits",
            "personnePhysique.passIae",
        )
    if facts.hired_on is None:
        found.add("/parcours", "the salarié has no parcours in the structure", "passDateDeb")
    elif facts.hired_on > dt.date.today():
        found.add(
            "/parcours/entry_date",
            "a fiche is sent once the hiring started",
            "personnePhysique.passDateDeb",
        )


def _check_person(facts: FicheFacts, found: _Checks) -> None:
    if civilite(facts) is None:
        found.add(
            f"{PROFILE}/civilite",
            "M or MME: the salarié's gender does not say it",
            "personnePhysique.civilite",
        )
    for name, value, asp_field in (
        ("last_name", facts.last_name, "nomUsage"),
        ("first_name", facts.first_name, "prenom"),
    ):
        if value is None or not _NAME.fullmatch(ascii_upper(value)):
            found.add(
                f"{SALARIE}/{name}",
                "letters, spaces, hyphens and apostrophes (accents are transliterated)",
                f"personnePhysique.{asp_field}",
            )
    if facts.birth_date is None or facts.hired_on is None:
        return
    age = _age(facts.birth_date, facts.hired_on)
    if not _MIN_AGE <= age <= _MAX_AGE:
        found.add(
            f"{SALARIE}/birth_date",
            f"an age from {_MIN_AGE} to {_MAX_AGE} at the hiring ({age})",
            "personnePhysique.dateNaissance",
        )


def _check_birth_place(facts: FicheFacts, found: _Checks) -> None:
    profile = facts.profile
    commune = profile.birth_commune_code if profile else None
    country = profile.birth_country_code if profile else None
    pointer = f"{PROFILE}/birth_commune_code"
    if (commune is None) == (country is None):
        found.add(
            pointer,
            "born in France: the birth commune; born abroad: the birth country (one of them)",
            "personnePhysique.codeComInsee",
            "3411",
        )
        return
    if commune is not None:
        if birth_commune(facts) is None:
            found.add(
                pointer,
                "not a commune of the ASP's table on the birth date",
                "personnePhysique.codeComInsee",
                "3308",
            )
        return
    if facts.birth_country is None or country == FRANCE:
        found.add(
            f"{PROFILE}/birth_country_code",
            "a country of the ASP's table other than FRANCE (born in France: the commune)",
            "personnePhysique.codeInseePays",
            "3411",
        )


def _check_nir(facts: FicheFacts, found: _Checks) -> None:
    title = civilite(facts)
    nir = nir_sent(facts)
    if nir is not None:
        _check_nir_agrees(facts, nir, title, found)
        return
    ntt = facts.profile.ntt if facts.profile else None
    pointer = f"{PROFILE}/ntt"
    if ntt is None:
        found.add(
            pointer,
            "a NIR, or without one (or with a NIA) an NTT",
            "personnePhysique.salarieNIR",
            "3501",
        )
        return
    if not _NTT.fullmatch(ntt) or ntt[1:10] != facts.siren:
        found.add(
            pointer,
            "1 or 2, the structure's SIREN, then up to 30 characters",
            "personnePhysique.salarieNIR",
        )
    elif title is not None and ntt[0] != ("1" if title is Civilite.M else "2"):
        found.add(pointer, "an NTT starts with 1 for M, 2 for MME", "personnePhysique.salarieNIR")


def _check_nir_agrees(facts: FicheFacts, nir: str, title: Civilite | None, found: _Checks) -> None:
    pointer, asp_field = f"{PROFILE}/nir", "personnePhysique.salarieNIR"
    month = int(nir[3:5])
    if (
        nir == FICTITIOUS_NIR
        or not _NIR.fullmatch(nir)
        or not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99)
    ):
        found.add(pointer, "not a NIR the ASP takes", asp_field)
        return
    if title is not None and nir[0] != ("1" if title is Civilite.M else "2"):
        found.add(pointer, "the NIR's first digit does not match the civilité", asp_field)
    birth = facts.birth_date
    if birth is not None and (
        nir[1:3] != f"{birth.year % 100:02d}" or (month <= 12 and month != birth.month)
    ):
        found.add(pointer, "the NIR's year or month of birth is not the birth date's", asp_field)


def _check_address(facts: FicheFacts, profile: AspProfile, found: _Checks) -> None:
    parts = {
        f"{PROFILE}/street_type": profile.street_type,
        f"{PROFILE}/street_name": profile.street_name,
        f"{PROFILE}/postal_code": profile.postal_code,
        f"{SALARIE}/commune_code": facts.residence_commune_code,
    }
    for pointer, value in parts.items():
        if value is None:
            found.add(pointer, "the address is whole: type, name, postcode and commune", "adresse")
    if facts.residence_commune_code is not None and not any(
        c.end is None for c in facts.residence_communes
    ):
        found.add(
            f"{SALARIE}/commune_code",
            "not a current commune of the ASP's table",
            "adresse.codeinseecom",
            "3417",
        )
    if profile.street_name is not None and not _ADDRESS_TEXT.fullmatch(
        address_text(profile.street_name)
    ):
        found.add(
            f"{PROFILE}/street_name",
            "at most 32 letters, digits, @ and spaces",
            "adresse.adrLibelleVoie",
            "3330",
        )
    if profile.address_complement is not None and not _ADDRESS_TEXT.fullmatch(
        address_text(profile.address_complement)
    ):
        found.add(
            f"{PROFILE}/address_complement",
            "at most 32 letters, digits, @ and spaces",
            "adresse.adrCpltDistribution",
            "3333",
        )
    if profile.street_extension is not None and profile.street_number is None:
        found.add(
            f"{PROFILE}/street_extension",
            "an extension goes with a street number",
            "adresse.codeextensionvoie",
            "3323",
        )


def _check_situation(facts: FicheFacts, profile: AspProfile, found: _Checks) -> None:
    situation = "situationSalarie"
    if profile.education_level is None:
        found.add(f"{PROFILE}/education_level", "required", f"{situation}.niveauFormation")
    if profile.orienteur is None:
        found.add(f"{PROFILE}/orienteur", "required", f"{situation}.orienteur", "T030_c029")
    if (profile.rsa is Rsa.NON) != (profile.rsa_since is None):
        found.add(
            f"{PROFILE}/rsa_since",
            "given exactly when the salarié receives the RSA",
            f"{situation}.salarieBenefRSADepuis",
        )
    ft_id = facts.france_travail_id
    if ft_id is not None and not _FRANCE_TRAVAIL_ID.fullmatch(ft_id):
        found.add(
            f"{SALARIE}/france_travail_id",
            "7 digits and a letter or digit, or 11 digits",
            f"{situation}.numeroIDE",
        )
    if (ft_id is None) != (profile.france_travail_since is None):
        found.add(
            f"{PROFILE}/france_travail_since",
            "given exactly when the salarié has a France Travail id",
            f"{situation}.inscritPoleEmploiDepuis",
        )
    eiti_only = {
        "are_since": profile.are_since,
        "prime_activite_since": profile.prime_activite_since,
        "cape": profile.cape,
        "cesa": profile.cesa,
        "creation_actor": profile.creation_actor,
        "monthly_income": profile.monthly_income,
        "contributions_ti": profile.contributions_ti,
    }
    if facts.kind is StructureKind.EITI:
        for name in ("creation_actor", "monthly_income"):
            if eiti_only[name] is None:
                found.add(f"{PROFILE}/{name}", "required for an EITI", situation)
        if profile.creation_actor is not None and not re.fullmatch(
            r"[A-Z -]+", ascii_upper(profile.creation_actor)
        ):
            found.add(
                f"{PROFILE}/creation_actor",
                "letters, spaces and hyphens",
                f"{situation}.nomActeurCreationEntr",
            )
        return
    for name, value in eiti_only.items():
        if value is not None:
            found.add(f"{PROFILE}/{name}", "only for an EITI's salariés", situation)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ----- the line ------------------------------------------------------------------------


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _since(code: str | None) -> tuple[bool, str | None]:
    return code is not None, code


def line(facts: FicheFacts, number: int, movement: Movement) -> dict[str, Any]:
    """The fiche as one line of a batch, in the ASP's key order. Only for facts whose
    :func:`checks` passed (a creation) or that the ASP already integrated (a
    modification: the PASS IAE's dates)."""
    profile = facts.profile or AspProfile()
    header: dict[str, Any] = {"numLigne": number, "typeMouvement": movement.value}
    mesure = reference.MESURE_OF_KIND[facts.kind]
    if movement is Movement.creation:
        header |= {"siret": facts.siret, "mesure": mesure}
    else:
        header |= {"mesure": mesure, "siret": facts.siret}
    return header | {
        "personnePhysique": _person(facts, profile),
        "adresse": _address(facts, profile),
        "situationSalarie": _situation(facts, profile),
        "codeTraitement": None,
        "libelleTraitement": None,
    }


def _person(facts: FicheFacts, profile: AspProfile) -> dict[str, Any]:
    assert facts.birth_date is not None
    assert facts.last_name is not None
    assert facts.first_name is not None
    title = civilite(facts)
    commune = birth_commune(facts)
    if commune is not None and commune.as_country is None:
        birth_place: dict[str, str | None] = {
            "codeComInsee": commune.code,
            "codeDpt": birth_departement(commune.code),
        }
        country, group = FRANCE, "1"
    else:
        birth_place = {"codeComInsee": None, "codeDpt": ABROAD_DEPARTEMENT}
        if commune is not None:
            country, group = commune.as_country or FRANCE, "1"
        else:
            assert facts.birth_country is not None
            country, group = facts.birth_country.code, facts.birth_country.group
    return {
        "passIae": facts.pass_number,
        "idItou": facts.asp_uid,
        "civilite": title.value if title else None,
        "nomUsage": ascii_upper(facts.last_name),
        "nomNaissance": None,
        "prenom": first_names(facts.first_name),
        "dateNaissance": _date(facts.birth_date),
        "codeComInsee": birth_place,
        "codeInseePays": country,
        "codeGroupePays": group,
        "passDateDeb": _date(facts.pass_start),
        "passDateFin": _date(facts.pass_end),
        "salarieNIR": nir_sent(facts) or (profile.ntt or "").replace(" ", ""),
        "sufPassIae": None,
    }


def _address(facts: FicheFacts, profile: AspProfile) -> dict[str, Any]:
    return {
        "adrTelephone": None,
        "adrMail": None,
        "adrNumeroVoie": profile.street_number,
        "codeextensionvoie": profile.street_extension if profile.street_number else None,
        "codetypevoie": profile.street_type,
        "adrLibelleVoie": address_text(profile.street_name or ""),
        "adrCpltDistribution": (
            address_text(profile.address_complement) if profile.address_complement else None
        ),
        "codeinseecom": facts.residence_commune_code,
        "codepostalcedex": profile.postal_code,
    }


def _situation(facts: FicheFacts, profile: AspProfile) -> dict[str, Any]:
    eiti = facts.kind is StructureKind.EITI
    employed = profile.unemployed_since is None
    ass, aah = _since(profile.ass_since), _since(profile.aah_since)
    are, prime = _since(profile.are_since), _since(profile.prime_activite_since)
    return {
        "orienteur": profile.orienteur,
        "niveauFormation": profile.education_level,
        "salarieEnEmploi": employed,
        "salarieTypeEmployeur": (
            _EMPLOYER_TYPE.get(facts.kind, _OTHER_EMPLOYER) if employed else None
        ),
        "salarieSansEmploiDepuis": profile.unemployed_since,
        "salarieSansRessource": profile.no_resources,
        "inscritPoleEmploi": facts.france_travail_id is not None,
        "inscritPoleEmploiDepuis": profile.france_travail_since,
        "numeroIDE": facts.france_travail_id,
        "salarieRQTH": profile.rqth,
        "salarieOETH": False if eiti else profile.oeth,
        "salarieAideSociale": profile.rsa is not Rsa.NON or ass[0] or aah[0],
        "salarieBenefRSA": profile.rsa.value,
        "salarieBenefRSADepuis": profile.rsa_since,
        "salarieBenefASS": ass[0],
        "salarieBenefASSDepuis": ass[1],
        "salarieBenefAAH": aah[0],
        "salarieBenefAAHDepuis": aah[1],
        "salarieBenefATA": False,
        "salarieBenefATADepuis": None,
        "salarieBenefARE": are[0] if eiti else None,
        "salarieBenefAREDepuis": are[1] if eiti else None,
        "salarieBenefPrimeActivite": prime[0] if eiti else None,
        "salarieBenefPrimeActiviteDepuis": prime[1] if eiti else None,
        "salarieBenefCAPE": bool(profile.cape) if eiti else None,
        "salarieBenefCESA": bool(profile.cesa) if eiti else None,
        "nomActeurCreationEntr": _actor(profile.creation_actor) if eiti else None,
        "revenuMensuelMoyenTI": _income(profile.monthly_income) if eiti else None,
        "cotisationsTI": (profile.contributions_ti or "06") if eiti else None,
        "salarieSortantASE": profile.leaving_ase,
        "salarieParentIsole": profile.single_parent,
        "salarieHebergement": profile.housing_problem,
        "salarieRefugie": profile.refugee,
        "salarieSortantDetention": profile.leaving_detention,
        "salarieLangueFrancaise": profile.french_below_a1,
        "salarieMobilite": profile.mobility_problem,
    }


def _actor(name: str | None) -> str | None:
    if name is None:
        return None
    text = ascii_upper(name)
    return text if len(text) <= 100 else text[:100].rsplit(" ", 1)[0]


def _income(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}".replace(".", ",")


# ----- the batch file ------------------------------------------------------------------


def file_name(at: dt.datetime) -> str:
    """RIAE_FS_AAAAMMJJHHMMSS.json, the time in UTC."""
    return f"{FILE_PREFIX}{at.astimezone(dt.UTC):%Y%m%d%H%M%S}.json"


def file_time(name: str | None) -> dt.datetime | None:
    """The time a batch file's name says (None: no name)."""
    if name is None:
        return None
    stamp = name.removeprefix(FILE_PREFIX).removesuffix(".json")
    return dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


def return_file_name(name: str) -> str:
    return name.removesuffix(".json") + RETURN_SUFFIX + ".json"


def encoded(line_: dict[str, Any]) -> bytes:
    """A line as the batch holds it: compact UTF-8 JSON, non-ASCII characters as such."""
    return orjson.dumps(line_)


def lines_that_fit(encoded_lines: Iterable[bytes]) -> int:
    """How many of the lines, in order, one batch takes: at most 700 and 2 MiB."""
    size, taken = len(_ENVELOPE_OPEN) + len(_ENVELOPE_CLOSE), 0
    for item in encoded_lines:
        size += len(item) + (1 if taken else 0)
        if taken == MAX_LINES or size > MAX_BYTES:
            break
        taken += 1
    return taken


def batch_body(encoded_lines: Sequence[bytes]) -> bytes:
    """The file, byte for byte: the envelope and its lines, in order."""
    return _ENVELOPE_OPEN + b",".join(encoded_lines) + _ENVELOPE_CLOSE


# ----- the return file -----------------------------------------------------------------


@dataclass(frozen=True)
class SentLine:
    number: int
    pass_number: str | None
    siret: str


@dataclass(frozen=True)
class Returned:
    number: int
    code: str
    label: str | None


@dataclass(frozen=True)
class ReturnProblem:
    pointer: str
    detail: str


def read_return(
    body: bytes, movement: Movement, sent: Sequence[SentLine]
) -> tuple[list[Returned], list[ReturnProblem]]:
    """Each line's code from the ASP's return file of a batch, or every reason the file
    is not that batch's return (then nothing of it may be applied)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return [], [ReturnProblem("/body", f"not JSON: {error}")]
    lines = document.get("lignesTelechargement") if isinstance(document, dict) else None
    if not isinstance(lines, list):
        return [], [ReturnProblem("/body/lignesTelechargement", "the file's lines are missing")]
    by_number = {s.number: s for s in sent}
    returned: list[Returned] = []
    problems: list[ReturnProblem] = []
    seen: set[int] = set()
    for index, item in enumerate(lines):
        pointer = f"/body/lignesTelechargement/{index}"
        problem = _line_problem(item, movement, by_number, seen)
        if problem is not None:
            problems.append(ReturnProblem(pointer + problem[0], problem[1]))
            continue
        seen.add(item["numLigne"])
        label = item.get("libelleTraitement")
        returned.append(Returned(item["numLigne"], item["codeTraitement"], label and label[:200]))
    return returned, problems


def _line_problem(
    item: Any, movement: Movement, sent: Mapping[int, SentLine], seen: set[int]
) -> tuple[str, str] | None:
    if not isinstance(item, dict):
        return "", "a line is an object"
    number = item.get("numLigne")
    if not isinstance(number, int) or isinstance(number, bool) or number not in sent:
        return "/numLigne", "not a line number of this batch"
    if number in seen:
        return "/numLigne", "this line is answered twice"
    if item.get("typeMouvement") != movement.value:
        return "/typeMouvement", f"this batch's lines are {movement.value}"
    code = item.get("codeTraitement")
    if not isinstance(code, str) or not re.fullmatch(r"[0-9A-Z_]{4,20}", code):
        return "/codeTraitement", "the ASP's code of the line (4 characters)"
    label = item.get("libelleTraitement")
    if label is not None and not isinstance(label, str):
        return "/libelleTraitement", "text or null"
    person = item.get("personnePhysique")
    pass_number = person.get("passIae") if isinstance(person, dict) else None
    if pass_number != sent[number].pass_number or item.get("siret") != sent[number].siret:
        return "/personnePhysique/passIae", "not the PASS IAE and SIRET this line sent"
    return None


@dataclass(frozen=True)
class Outcome:
    status: FicheStatus
    label: str | None
    duplicate: bool = False


def outcome(movement: Movement, returned: Returned) -> Outcome:
    """What the ASP's code does: 0000 integrates; 3436 (the PASS IAE is already known
    for this SIRET) counts as integrated for a creation; any other code rejects."""
    if returned.code == INTEGRATED:
        return Outcome(S.processed, returned.label)
    if returned.code == DUPLICATE and movement is Movement.creation:
        return Outcome(S.processed, DUPLICATE_LABEL, duplicate=True)
    return Outcome(S.rejected, returned.label)
