from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Versioned, guards, siren_of_siret, text_enum, uuid_pk
from app.reference.enums import ActivitySector, CompanyCategory, CompanySize


class Company(Versioned, Base):
    """A client of the SIAE: a company, or an association, a local authority or a
    private individual (no SIRET)."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint(
            "category = 'particulier' OR siret IS NOT NULL",
            name="siret_unless_individual",
            info=guards("siret", "required unless the category is particulier"),
        ),
        Index("ix_companies_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[uuid_pk]
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    siren: Mapped[str | None] = mapped_column(String(9), siren_of_siret(), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[CompanyCategory] = mapped_column(
        text_enum(CompanyCategory, "company_category", length=16),
        default=CompanyCategory.entreprise,
    )
    size: Mapped[CompanySize | None] = mapped_column(
        text_enum(CompanySize, "company_size", length=8)
    )
    sector: Mapped[ActivitySector | None] = mapped_column(
        text_enum(ActivitySector, "activity_sector", length=40)
    )
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
