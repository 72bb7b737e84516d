from __future__ import annotations

from pathlib import Path

import pytest

from recipevault.config import DEFAULT_SECRET_KEY, ConfigError, Environment, load_settings

ROOT = Path(__file__).resolve().parent.parent


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


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


@pytest.mark.parametrize(
    "given",
    [
        '["example.org", "www.example.org"]',
        "example.org, www.example.org",
        " example.org,www.example.org ",
    ],
)
def test_list_settings_take_the_json_or_the_comma_form(
    given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECIPEVAULT_ALLOWED_HOSTS", given)
    monkeypatch.setenv("RECIPEVAULT_PUBLIC_URL", "https://example.org")
    assert load_settings(_env_file=None).allowed_hosts == ["example.org", "www.example.org"]


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("RECIPEVAULT_CORS_ORIGINS", '["https://app.example.org"]', ["https://app.example.org"]),
        ("RECIPEVAULT_TRUSTED_PROXIES", '["10.0.0.0/8", "127.0.0.1"]', ["10.0.0.0/8", "127.0.0.1"]),
        ("RECIPEVAULT_IMPORT_ALLOWED_HOSTS", '["intranet.example"]', ["intranet.example"]),
        ("RECIPEVAULT_IMAGE_WIDTHS", "[480, 1200]", ["480", "1200"]),
        ("RECIPEVAULT_IMAGE_WIDTHS", "480,1200", ["480", "1200"]),
        # An IPv6 address in brackets may begin the comma form.
        ("RECIPEVAULT_ALLOWED_HOSTS", "[::1], localhost", ["[::1]", "localhost"]),
    ],
)
def test_every_list_setting_reads_both_forms(
    name: str, given: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, given)
    settings = load_settings(_env_file=None)
    assert getattr(settings, name.removeprefix("RECIPEVAULT_").lower()) == expected


@pytest.mark.parametrize(
    ("name", "given", "complaint"),
    [
        ("RECIPEVAULT_ALLOWED_HOSTS", '["example.org",', "not a valid JSON list"),
        ("RECIPEVAULT_ALLOWED_HOSTS", '[["example.org"]]', "strings or numbers only"),
        ("RECIPEVAULT_ALLOWED_HOSTS", "https://example.org", "not a host name"),
        ("RECIPEVAULT_ALLOWED_HOSTS", "example.org:8000", "not a host name"),
        ("RECIPEVAULT_ALLOWED_HOSTS", "'example.org'", "not a host name"),
        ("RECIPEVAULT_ALLOWED_HOSTS", "ex*ample.org", "not a host name"),
        ("RECIPEVAULT_CORS_ORIGINS", "app.example.org", "not an origin"),
        ("RECIPEVAULT_CORS_ORIGINS", "https://app.example.org/path", "not an origin"),
        ("RECIPEVAULT_CORS_ORIGINS", "*", "not an origin"),
        ("RECIPEVAULT_TRUSTED_PROXIES", '["proxy.local"]', "not an IP address"),
        ("RECIPEVAULT_IMPORT_ALLOWED_HOSTS", "http://intranet.example/", "not a host name"),
        ("RECIPEVAULT_IMAGE_WIDTHS", '["wide"]', "widths between"),
    ],
)
def test_a_list_setting_that_cannot_be_read_stops_the_app(
    name: str, given: str, complaint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, given)
    with pytest.raises(ConfigError) as excinfo:
        load_settings(_env_file=None)
    message = str(excinfo.value)
    assert "\n" not in message
    assert f"{name}:" in message
    assert complaint in message


def test_allowed_hosts_are_kept_lower_case_with_ipv6_in_brackets() -> None:
    settings = load_settings(
        _env_file=None,
        allowed_hosts="Example.ORG, ::1, *.Example.org",
        public_url="https://example.org",
    )
    assert settings.allowed_hosts == ["example.org", "[::1]", "*.example.org"]


def test_dotenv_lists_read_like_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        'RECIPEVAULT_ALLOWED_HOSTS=\'["recipes.example.org", "localhost"]\'\n'
        "RECIPEVAULT_CORS_ORIGINS=https://a.example.org,https://b.example.org\n"
    )
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.allowed_hosts == ["recipes.example.org", "localhost"]
    assert settings.cors_origins == ["https://a.example.org", "https://b.example.org"]


def test_env_example_copied_to_dotenv_starts_with_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its empty lines (`RECIPEVAULT_REDIS_URL=`) mean "not set", not "set to nothing".
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    monkeypatch.chdir(tmp_path)
    assert load_settings() == load_settings(_env_file=None)


def test_a_misspelt_name_in_dotenv_stops_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("RECIPEVAULT_PORT=8765\nRECIPEVAULT_ALOWED_HOSTS=example.org\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"RECIPEVAULT_ALOWED_HOSTS in \.env is not a setting"):
        load_settings()


def test_other_names_in_dotenv_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file may hold other programs' settings (a compose file's, say).
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=secret\nRECIPEVAULT_PORT=8765\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().port == 8765


def test_public_url_is_unset_by_default() -> None:
    settings = load_settings(_env_file=None)
    assert settings.public_url is None
    assert settings.listen_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8080, "http://localhost:8080"),  # noqa: S104
        ("::1", 8000, "http://[::1]:8000"),
        ("recipes.local", 80, "http://recipes.local:80"),
    ],
)
def test_listen_url_is_where_the_server_listens(host: str, port: int, expected: str) -> None:
    assert load_settings(_env_file=None, host=host, port=port).listen_url == expected


@pytest.mark.parametrize("hosts", ["*", "recipes.example.org,*.example.org"])
def test_a_wildcard_host_needs_a_public_url(hosts: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(_env_file=None, allowed_hosts=hosts)
    assert "RECIPEVAULT_PUBLIC_URL must be set" in str(excinfo.value)
    settings = load_settings(
        _env_file=None, allowed_hosts=hosts, public_url="https://recipes.example.org/"
    )
    assert settings.public_url == "https://recipes.example.org"


@pytest.mark.parametrize(
    "url", ["recipes.example.org", "ftp://recipes.example.org", "https://x.org/?a=1"]
)
def test_public_url_must_be_an_address(url: str) -> None:
    with pytest.raises(ConfigError, match="RECIPEVAULT_PUBLIC_URL"):
        load_settings(_env_file=None, public_url=url)
