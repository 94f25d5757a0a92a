"""What the companies routes and the demo share: a company registered once."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.companies import repository
from app.companies.models import Company
from app.companies.schemas import CompanyCreate
from app.errors import Conflict, field_problem
from app.reference.territory import validate_region


async def register_company(session: AsyncSession, body: CompanyCreate) -> Company:
    """A new client company: its région known, its SIRET (when given) new."""
    await validate_region(session, body.region_code)
    if body.siret is not None:
        existing = await repository.by_siret(session, body.siret)
        if existing is not None:
            raise Conflict(
                f"SIRET {body.siret} already belongs to company {existing.id} ({existing.name})",
                errors=[field_problem("siret", "this SIRET is already registered")],
                extra={"existing_company_id": str(existing.id)},
            )
    return await repository.create(session, body.model_dump())
