import os
from pathlib import Path

import pytest

from app.settings import Settings, SettingsError, default_data_dir, load_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JALON_POOL_SIZE", "zero"),
        ("JALON_POOL_SIZE", "0"),
        ("JALON_DATABASE_URL", "mysql://localhost/jalon"),
        ("JALON_DATABASE_URL", "postgresql://localhost"),
        ("JALON_LOG_FORMAT", "xml"),
        ("JALON_STATEMENT_TIMEOUT_MS", "-5"),
        ("JALON_MAX_BODY_BYTES", "12"),
    ],
)
def test_a_wrong_value_stops_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert variable in str(raised.value)


def test_defaults_are_a_small_fixed_pool_and_the_embedded_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JALON_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.pool_size == 5
    assert settings.sqlalchemy_url is None
    assert settings.cors_origins == []


def test_server_urls_get_the_asyncpg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JALON_DATABASE_URL", "postgresql://jalon:pw@db:5432/jalon")
    monkeypatch.setenv("JALON_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = load_settings()
    assert settings.sqlalchemy_url == "postgresql+asyncpg://jalon:pw@db:5432/jalon"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_root_never_defaults_its_data_under_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_data_dir() == Path("/var/tmp/jalon")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert default_data_dir() == Path(".jalon")


def test_a_server_database_needs_a_nir_hash_key(tmp_path: Path) -> None:
    from app.salaries.nir import nir_key

    with pytest.raises(SettingsError, match="JALON_NIR_HASH_KEY"):
        nir_key(Settings(database_url="postgresql://db/jalon", nir_hash_key=None))
    embedded = Settings(database_url=None, nir_hash_key=None, data_dir=tmp_path)
    assert nir_key(embedded) == nir_key(embedded)  # kept beside the data, the same each start
    assert (tmp_path / "nir-hash.key").stat().st_mode & 0o077 == 0
    assert nir_key(Settings(database_url="postgresql://db/jalon", nir_hash_key="k")) == b"k"
