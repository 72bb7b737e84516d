from __future__ import annotations

import pytest

from recipevault.config import DEFAULT_SECRET_KEY, ConfigError, Environment, load_settings


def test_defaults_serve_sqlite_under_var() -> None:
    settings = load_settings(_env_file=None)
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == "sqlite+aiosqlite:///./var/recipevault.db"
    assert settings.is_sqlite
    assert settings.port == 8000
    assert settings.cors_origins == []
    assert settings.redis_url is None


def test_environment_variables_are_read_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECIPEVAULT_PORT", "9123")
    monkeypatch.setenv("RECIPEVAULT_ALLOWED_HOSTS", "example.org, www.example.org")
    monkeypatch.setenv("RECIPEVAULT_CORS_ORIGINS", "https://app.example.org")
    monkeypatch.setenv("RECIPEVAULT_LOG_LEVEL", "debug")
    settings = load_settings(_env_file=None)
    assert settings.port == 9123
    assert settings.allowed_hosts == ["example.org", "www.example.org"]
    assert settings.cors_origins == ["https://app.example.org"]
    assert settings.log_level == "DEBUG"


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("RECIPEVAULT_PORT=8765\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().port == 8765


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_url_gets_async_driver(given: str, expected: str) -> None:
    assert load_settings(_env_file=None, database_url=given).database_url == expected


def test_unknown_database_scheme_is_one_line_error() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(_env_file=None, database_url="mysql://h/db")
    message = str(excinfo.value)
    assert "\n" not in message
    assert "RECIPEVAULT_DATABASE_URL" in message
    assert "unsupported database scheme" in message


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET_KEY, "short-secret"])
def test_production_refuses_missing_default_or_short_secret(secret: str | None) -> None:
    overrides: dict[str, object] = {"_env_file": None, "env": "production"}
    if secret is not None:
        overrides["secret_key"] = secret
    with pytest.raises(ConfigError) as excinfo:
        load_settings(**overrides)
    message = str(excinfo.value)
    assert "\n" not in message
    assert "RECIPEVAULT_SECRET_KEY" in message


def test_production_accepts_strong_secret() -> None:
    settings = load_settings(_env_file=None, env="production", secret_key="x" * 48)
    assert settings.env is Environment.PRODUCTION


def test_trusted_proxies_must_be_addresses() -> None:
    assert load_settings(_env_file=None, trusted_proxies="10.0.0.0/8,127.0.0.1").trusted_proxies
    with pytest.raises(ConfigError, match="not an IP address"):
        load_settings(_env_file=None, trusted_proxies="proxy.local")
