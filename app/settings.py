"""Runtime configuration, read from ``JALON_*`` environment variables.

A wrong value stops the process at start with a message naming the variable
(see :func:`load_settings`), never later at the first request.
"""

import os
import secrets
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.rules import RuleParameters

# requests per minute and per key, by role: bursts up to that many, then that pace
RATE_LIMITS = {"admin": 1200, "structure": 600, "company": 600, "network": 600}


class LogFormat(StrEnum):
    json = "json"
    text = "text"


def default_data_dir() -> Path:
    """Where the embedded PostgreSQL keeps its files when ``JALON_DATA_DIR`` is unset.

    As root the embedded server runs as a system user that must traverse every parent
    folder of its data folder; a folder under ``/root`` would have to be opened up, so
    root gets a world-traversable place instead.
    """
    if os.geteuid() == 0:
        return Path("/var/tmp/jalon")
    return Path(".jalon")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JALON_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL server URL; unset starts an embedded PostgreSQL in data_dir.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    pool_size: int = Field(default=5, ge=1, le=200)
    direct_pool_size: int = Field(default=5, ge=1, le=200)
    pool_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_bulk_body_bytes: int = Field(default=33_554_432, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_format: LogFormat = LogFormat.json
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    key_cache_ttl_seconds: float = Field(default=30.0, ge=0, le=3600)
    key_cache_size: int = Field(default=10_000, ge=1)
    # requests per minute and per key, by role (0: no limit); JSON, e.g. {"company": 300}
    rate_limit_per_minute: dict[str, int] = Field(default_factory=lambda: dict(RATE_LIMITS))
    # requests per minute and client address that fail authentication (0: no limit)
    auth_failures_per_minute: int = Field(default=60, ge=0)
    # about how long an address past that budget waits for its 429 (0.5 to 1.5 times
    # this): a flood of made-up tokens then costs one cheap answer per connection and pause
    auth_failure_pause_seconds: float = Field(default=1.0, ge=0, le=60)
    secret_key: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="Signs pagination cursors; set it when several processes serve jalon.",
    )
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    rules: RuleParameters = Field(default_factory=RuleParameters)
    nir_hash_key: SecretStr | None = Field(
        default=None,
        description="Keys the NIR hashes; required with JALON_DATABASE_URL, kept in the data "
        "folder for the embedded PostgreSQL",
    )
    retention_days: int = Field(
        default=1825,
        ge=1,
        description="Days after a salarié's last parcours ended before `jalon purge` "
        "pseudonymises them",
    )
    webhooks_dispatch: bool = Field(
        default=True, description="Deliver webhooks from this process (false: API only)"
    )
    webhook_workers: int = Field(default=4, ge=1, le=64)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0, le=3600)
    webhook_give_up_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    webhook_scan_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    webhook_due_within_days: int = Field(default=30, ge=1, le=366)
    webhook_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days `jalon purge` keeps delivered webhook events and their log",
    )
    webhook_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Networks webhook targets may be in although private, loopback or "
        "link-local, comma-separated CIDR (e.g. 127.0.0.0/8 for tests)",
    )
    small_cell_threshold: int = Field(
        default=5,
        ge=1,
        description="Groups with fewer salariés are hidden from companies and networks",
    )
    max_modulation_rate: Decimal = Field(
        default=Decimal(10),
        ge=0,
        le=100,
        description="Highest modulation of the aide au poste, in %",
    )

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [network.strip() for network in value.split(",") if network.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("rate_limit_per_minute", mode="after")
    @classmethod
    def complete_rate_limits(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(RATE_LIMITS)
        if unknown:
            raise ValueError(f"no role {', '.join(sorted(unknown))}: use {', '.join(RATE_LIMITS)}")
        if any(limit < 0 for limit in value.values()):
            raise ValueError("a rate limit is 0 (none) or more requests per minute")
        return {**RATE_LIMITS, **value}

    @field_validator("database_url", mode="after")
    @classmethod
    def require_postgresql_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        scheme, separator, rest = value.partition("://")
        if scheme not in {"postgresql", "postgresql+asyncpg", "postgres"} or not separator:
            raise ValueError("use a postgresql:// or postgresql+asyncpg:// URL")
        if not rest.partition("/")[2].partition("?")[0]:
            raise ValueError("the URL must name a database: postgresql://user@host/dbname")
        return value

    @cached_property
    def sqlalchemy_url(self) -> str | None:
        """The server URL with the asyncpg driver, or None for the embedded server."""
        if self.database_url is None:
            return None
        return "postgresql+asyncpg://" + self.database_url.partition("://")[2]


class SettingsError(SystemExit):
    """Raised at start when the environment holds a wrong value."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            lines.append(f"JALON_{field.upper()}: {problem['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
