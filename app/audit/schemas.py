import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4182,
                    "at": "2026-11-26T09:30:00Z",
                    "key_id": "3c2d1e0f-4b5a-4968-8776-5a4b3c2d1e0f",
                    "action": "update_salarie",
                    "method": "PATCH",
                    "resource": "salaries",
                    "resource_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
                    "status": 200,
                    "request_id": "4f3a9c2e1b0d7a6c000000000000002a",
                    "fields": ["criteria", "residence_qpv"],
                }
            ]
        },
    )

    id: int
    at: dt.datetime
    key_id: uuid.UUID | None
    action: str
    method: str
    resource: str
    resource_id: str | None
    status: int
    request_id: str
    fields: list[str]
