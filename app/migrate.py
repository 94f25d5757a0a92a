"""Alembic, driven from code: the CLI, the app's readiness check and the tests all
use the same configuration, whatever the working directory."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """``url`` overrides the one resolved from Settings (tests use their own database)."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade_to_head(url: str | None = None) -> None:
    """Runs the migrations; call it outside an event loop (env.py runs its own)."""
    command.upgrade(alembic_config(url), "head")


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migration found")
    return head
