"""The fiche salarié's JSON: the salarié's ASP profile (the facts only the FS asks),
a fiche and its state, a batch, and the problem listing what a fiche lacks."""

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, computed_field

from app.errors import FieldProblem, ProblemDocument
from app.fiches import reference
from app.reference.decimals import Digits
from app.reference.schemas import CommuneCode
from app.salaries.schemas import Nir


def _coded(table: reference.Table, what: str) -> Any:
    """A code of one of the ASP's small tables (listed under /v1/reference/asp)."""
    allowed: list[JsonValue] = [code for code, _ in table]

    def known(code: str) -> str:
        if code not in allowed:
            raise ValueError(f"not a code of the ASP's {what} table")
        return code

    return Annotated[
        str,
        AfterValidator(known),
        Field(json_schema_extra={"enum": allowed}, description=f"The ASP's {what} code"),
    ]


Duree = _coded(reference.DUREES, "durée")


class Civilite(StrEnum):
    M = "M"
    MME = "MME"


class Rsa(StrEnum):
    NON = "NON"
    OUI_M = "OUI-M"
    OUI_NM = "OUI-NM"


class FicheStatus(StrEnum):
    new = "new"
    ready = "ready"
    sent = "sent"
    processed = "processed"
    rejected = "rejected"
    disabled = "disabled"
    archived = "archived"


class NotificationStatus(StrEnum):
    """An `M` movement's state: waiting for the next batch, sent, then answered."""

    new = "new"
    sent = "sent"
    processed = "processed"
    rejected = "rejected"


class Movement(StrEnum):
    creation = "C"
    modification = "M"


_PROFILE_EXAMPLE: dict[str, Any] = {
    "civilite": "MME",
    "birth_commune_code": "29019",
    "birth_country_code": None,
    "ntt": None,
    "street_number": "12",
    "street_extension": "B",
    "street_type": "RUE",
    "street_name": "de Siam",
    "address_complement": None,
    "postal_code": "29200",
    "education_level": "50",
    "orienteur": "03",
    "unemployed_since": "03",
    "france_travail_since": "03",
    "no_resources": False,
    "rsa": "OUI-NM",
    "rsa_since": "02",
    "ass_since": None,
    "aah_since": None,
    "rqth": False,
    "oeth": False,
    "leaving_ase": False,
    "single_parent": True,
    "housing_problem": False,
    "refugee": False,
    "leaving_detention": False,
    "french_below_a1": False,
    "mobility_problem": True,
}


class AspProfile(BaseModel):
    """What the ASP's fiche salarié asks beyond the salarié's record (names, birth date,
    gender, commune of residence, France Travail id): every field is optional here, and
    checked when a fiche is made ready. EITI fields only for an EITI's salariés."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PROFILE_EXAMPLE]})

    civilite: Civilite | None = Field(
        None, description="Taken from the salarié's gender when it is `femme` or `homme`"
    )
    birth_commune_code: CommuneCode | None = Field(
        None,
        description="Born in France (overseas included): the INSEE code of the birth "
        "commune, in the ASP's table on the birth date",
    )
    birth_country_code: str | None = Field(
        None,
        pattern=r"^[0-9]{3}$",
        description="Born abroad: the INSEE code of the country (GET "
        "/v1/reference/asp/countries), FRANCE (100) excluded",
    )
    ntt: str | None = Field(
        None,
        pattern=r"^[12][0-9]{9}[0-9a-zA-Z]{1,30}$",
        description="Numéro technique temporaire, when the person has no NIR (or a NIA): "
        "1 (M) or 2 (MME), the structure's SIREN, then up to 30 characters",
    )
    street_number: str | None = Field(None, pattern=r"^[0-9]{1,5}$")
    street_extension: Annotated[str | None, _coded(reference.EXTENSIONS_VOIE, "extension")] = None
    street_type: Annotated[str | None, _coded(reference.TYPES_VOIE, "type de voie")] = None
    street_name: str | None = Field(
        None, max_length=120, description="Without its type: `de Siam` for `rue de Siam`"
    )
    address_complement: str | None = Field(None, max_length=120)
    postal_code: str | None = Field(None, pattern=r"^[0-9]{5}$")
    education_level: Annotated[
        str | None, _coded(reference.NIVEAUX_FORMATION, "niveau de formation")
    ] = None
    orienteur: Annotated[str | None, _coded(reference.ORIENTEURS, "orienteur")] = None
    unemployed_since: Annotated[str | None, Duree] = Field(
        None, description="Without a job since (a durée code); none: in employment"
    )
    france_travail_since: Annotated[str | None, Duree] = Field(
        None, description="Registered with France Travail since (with a France Travail id)"
    )
    no_resources: bool = False
    rsa: Rsa = Rsa.NON
    rsa_since: Annotated[str | None, Duree] = None
    ass_since: Annotated[str | None, Duree] = None
    aah_since: Annotated[str | None, Duree] = None
    rqth: bool = False
    oeth: bool = False
    leaving_ase: bool = False
    single_parent: bool = False
    housing_problem: bool = False
    refugee: bool = False
    leaving_detention: bool = False
    french_below_a1: bool = Field(False, description="French below level A1 (an obstacle)")
    mobility_problem: bool = False
    # EITI only
    are_since: Annotated[str | None, Duree] = None
    prime_activite_since: Annotated[str | None, Duree] = None
    cape: bool | None = None
    cesa: bool | None = None
    creation_actor: str | None = Field(
        None, max_length=100, description="EITI: the business-creation actor met"
    )
    monthly_income: Annotated[Decimal, Digits(9, 2, example="1250.00", ge=0)] | None = Field(
        None, description="EITI: average monthly income, in euros"
    )
    contributions_ti: Annotated[str | None, _coded(reference.COTISATIONS_TI, "cotisations TI")] = (
        None
    )


class AspProfileWrite(AspProfile):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{**_PROFILE_EXAMPLE, "nir": "291042901912343"}]},
    )

    nir: Nir | None = Field(
        None,
        description="Write-only: the NIR the fiche sends, kept encrypted; it must be the "
        "salarié's own when their record has one",
    )


class AspProfileRead(AspProfile):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_PROFILE_EXAMPLE,
                    "salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                    "has_nir": True,
                    "updated_at": "2026-11-26T09:30:00Z",
                }
            ]
        }
    )

    salarie_id: uuid.UUID
    has_nir: bool
    updated_at: dt.datetime


class FicheCheck(FieldProblem):
    """One thing a fiche lacks before the ASP would take it."""

    asp_field: str | None = Field(
        None,
        description="The ASP line's field (null: a request's own field error)",
        examples=["personnePhysique.codeComInsee"],
    )
    asp_code: str | None = Field(
        None, description="The ASP's error code for it, where known", examples=["3417"]
    )


class FicheIncompleteProblem(ProblemDocument):
    errors: list[FicheCheck] | None = None  # type: ignore[assignment]


_FICHE_EXAMPLE: dict[str, Any] = {
    "id": "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98",
    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
    "salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
    "pass_iae_id": "7b6a5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
    "siret": "12345678900011",
    "status": "processed",
    "asp_code": "0000",
    "asp_label": "La ligne de la fiche salarié a été enregistrée avec succès.",
    "processed_as_duplicate": False,
    "processed_at": "2026-11-27T10:25:00Z",
    "created_at": "2026-11-26T09:30:00Z",
    "updated_at": "2026-11-27T10:25:00Z",
}


class FicheCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"salarie_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"}]},
    )

    salarie_id: uuid.UUID = Field(description="A salarié of the structure, with a PASS IAE")


class FicheStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "ready"}]})

    status: FicheStatus = Field(
        description="`ready` (every check passes), `disabled`, `new` (enable a disabled "
        "fiche, or unarchive one: it returns to what its last ASP code says) or `archived`; "
        "`sent`, `processed` and `rejected` come from batches and return files"
    )


class FicheRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_FICHE_EXAMPLE]}
    )

    id: uuid.UUID
    structure_id: uuid.UUID
    salarie_id: uuid.UUID
    pass_iae_id: uuid.UUID
    siret: str = Field(description="The SIRET the fiche is sent under (the structure's)")
    status: FicheStatus
    asp_code: str | None = Field(description="The ASP's last code for it (0000: integrated)")
    asp_label: str | None
    processed_as_duplicate: bool = Field(
        description="Integrated on a 3436: the ASP knew this PASS IAE for this SIRET"
    )
    processed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"movement": "C"}]})

    movement: Movement = Field(
        Movement.creation,
        description="`C`: the ready fiches; `M`: the waiting changes of PASS IAE dates",
    )


_BATCH_EXAMPLE: dict[str, Any] = {
    "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "structure_id": "5b0c8a1e-9f2d-4e7a-8c3b-1d2e3f4a5b6c",
    "movement": "C",
    "file_name": "RIAE_FS_20261127085500.json",
    "return_file_name": "RIAE_FS_20261127085500_FichierRetour.json",
    "line_count": 12,
    "size_bytes": 19874,
    "created_at": "2026-11-27T08:55:00Z",
    "returned_at": None,
}


class BatchRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_BATCH_EXAMPLE]}
    )

    id: uuid.UUID
    structure_id: uuid.UUID
    movement: Movement
    file_name: str
    line_count: int = Field(description="At most 700")
    size_bytes: int = Field(description="At most 2 MiB")
    created_at: dt.datetime
    returned_at: dt.datetime | None = Field(description="When its return file was applied")

    @computed_field(description="The name of the ASP's answer")  # type: ignore[prop-decorator]
    @property
    def return_file_name(self) -> str:
        return self.file_name.removesuffix(".json") + "_FichierRetour.json"


class SkippedFiche(BaseModel):
    fiche_salarie_id: uuid.UUID
    errors: list[FicheCheck]


class BatchCreated(BatchRead):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_BATCH_EXAMPLE, "skipped": []}]})

    skipped: list[SkippedFiche] = Field(
        description="Ready fiches left out: their facts changed and fail a check since"
    )


class ReturnedLine(BaseModel):
    line: int
    fiche_salarie_id: uuid.UUID
    asp_code: str
    asp_label: str | None
    status: FicheStatus = Field(description="What the code made of the fiche (or notification)")


class ReturnReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "lines": [
                        {
                            "line": 1,
                            "fiche_salarie_id": "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98",
                            "asp_code": "0000",
                            "asp_label": "La ligne de la fiche salarié a été enregistrée.",
                            "status": "processed",
                        }
                    ],
                    "unanswered": 0,
                }
            ]
        }
    )

    batch_id: uuid.UUID
    lines: list[ReturnedLine]
    unanswered: int = Field(description="Lines the file did not answer: they stay sent")


class AspCode(BaseModel):
    code: str
    label: str


class AspCodes(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"table": "groupes-pays", "items": [{"code": "1", "label": "FRANCE"}]}]
        }
    )

    table: str
    items: list[AspCode]


class AspCommuneRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "29019",
                    "name": "BREST",
                    "start_date": "2000-01-01",
                    "end_date": None,
                    "as_country": None,
                }
            ]
        },
    )

    code: str
    name: str
    start_date: dt.date
    end_date: dt.date | None = Field(description="null while the commune exists")
    as_country: str | None = Field(
        description="The country code the ASP files births in this commune under (New "
        "Caledonia, French Polynesia, Wallis-et-Futuna, TAAF, Clipperton)"
    )


class AspCountryRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"code": "351", "name": "TUNISIE", "group": "3", "overseas": False}]
        },
    )

    code: str
    name: str
    group: str = Field(description="1 France, 2 CEE, 3 hors CEE")
    overseas: bool = Field(description="A French territory the ASP files as a country")
