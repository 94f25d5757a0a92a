import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from app.errors import ProblemDocument
from app.months.rules import MonthState


class MonthRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "month": "2025-03",
                    "state": "closed",
                    "closed_at": "2025-04-08T16:02:11Z",
                    "reopened_at": None,
                    "corrections": 0,
                }
            ]
        }
    )

    month: str = Field(examples=["2025-03"])
    state: MonthState = Field(
        description="`open`: hours may change (never closed, or reopened for a correction); "
        "`closed`; `corrected`: closed again after a correction"
    )
    closed_at: dt.datetime | None = Field(description="When it was last closed")
    reopened_at: dt.datetime | None = Field(description="When it was last reopened")
    corrections: int = Field(description="How many times it was reopened")


class MonthsRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "month": "2025-02",
                            "state": "corrected",
                            "closed_at": "2025-03-09T10:12:00Z",
                            "reopened_at": "2025-03-20T08:30:00Z",
                            "corrections": 1,
                        },
                        {
                            "month": "2025-03",
                            "state": "open",
                            "closed_at": None,
                            "reopened_at": None,
                            "corrections": 0,
                        },
                    ]
                }
            ]
        }
    )

    items: list[MonthRead] = Field(description="Each month of the period, the oldest first")


class MissingRead(BaseModel):
    contract_id: uuid.UUID
    parcours_id: uuid.UUID
    salarie_id: uuid.UUID
    what: str = Field(description="`hours`: the contract's hours of the month", examples=["hours"])


class MonthIncompleteProblem(ProblemDocument):
    missing: list[MissingRead] | None = Field(
        None, description="For month-incomplete problems: what the month lacks to close"
    )
