"""The numbers of the labour-law rules (DOMAIN.md), as settings with the legal values
as defaults: ``JALON_RULES__CDDI_MAX_MONTHS=30`` overrides one."""

from pydantic import BaseModel, ConfigDict, Field


class RuleParameters(BaseModel):
    model_config = ConfigDict(frozen=True)

    pass_iae_validity_days: int = Field(730, gt=0)
    pass_adjustment_max_months: int = Field(12, gt=0)
    cddi_min_months: int = Field(4, gt=0)
    cddi_max_months: int = Field(24, gt=0)
    cddi_max_months_with_derogation: int = Field(60, gt=0)
    weekly_hours_min: float = Field(20, gt=0)
    weekly_hours_max: float = Field(35, gt=0)
    ctti_max_months: int = Field(24, gt=0)
    cdi_inclusion_min_age: int = Field(57, gt=0)
    cdi_inclusion_min_parcours_months: int = Field(12, ge=0)
    cdi_inclusion_min_weekly_hours: float = Field(24, gt=0)
    under_20h_prefet_max_months: int = Field(12, gt=0)
    under_20h_other_job_max_months: int = Field(6, gt=0)
    under_20h_other_job_after_months: int = Field(4, ge=0)
    max_weekly_hours_worked: float = Field(48, gt=0)
    eligibility_level_2_required_ai_etti: int = Field(2, gt=0)
    eligibility_level_2_required_others: int = Field(3, gt=0)
    alert_cddi_months_before_limit: int = Field(2, ge=0)
    ai_max_hours_per_company: float = Field(480, gt=0)
    ai_hours_warning_from: float = Field(400, gt=0)
    ai_hours_window_months: int = Field(24, gt=0)
