"""Settings, read once from the environment (prefix ``RECIPEVAULT_``) and an optional ``.env``."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The shipped default is public knowledge, so production refuses it.
DEFAULT_SECRET_KEY = "insecure-development-secret-change-me-please"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line meant for an operator."""


CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RECIPEVAULT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    env: Environment = Environment.DEVELOPMENT
    secret_key: str = DEFAULT_SECRET_KEY

    database_url: str = "sqlite+aiosqlite:///./var/recipevault.db"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_echo: bool = False
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)

    media_dir: Path = Path("./var/media")
    # Where downloaded demo data is kept between runs.
    cache_dir: Path = Path("./var/cache")
    redis_url: str | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Requests each worker process works on at once; more wait their turn, in order. Below the
    # PostgreSQL pool (10 + 10), so a request waits for its turn, not for a connection.
    max_concurrent_requests: int = Field(default=16, ge=1, le=10_000)

    allowed_hosts: CommaList = Field(default_factory=lambda: ["localhost", "127.0.0.1", "[::1]"])
    cors_origins: CommaList = Field(default_factory=list)
    trusted_proxies: CommaList = Field(default_factory=list)

    # prometheus_client reads this variable itself, unprefixed; `serve --workers N` sets it.
    metrics_multiproc_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "PROMETHEUS_MULTIPROC_DIR", "RECIPEVAULT_METRICS_MULTIPROC_DIR"
        ),
    )

    # Where links in emails point: the address people use to reach this site.
    public_url: str = "http://127.0.0.1:8000"

    # Accounts and sign-in.
    registration_open: bool = True
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    session_idle_minutes: int = Field(default=60 * 24 * 7, ge=5)
    session_max_age_days: int = Field(default=30, ge=1, le=365)
    password_reset_minutes: int = Field(default=60, ge=5, le=1440)
    email_verification_hours: int = Field(default=72, ge=1, le=720)
    household_invite_days: int = Field(default=7, ge=1, le=90)
    # None: Secure cookies everywhere but in development (plain http on a laptop).
    session_cookie_secure: bool | None = None
    lockout_threshold: int = Field(default=10, ge=3, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=1440)
    rate_limit_login_per_address: str = "30/minute"
    rate_limit_login_per_account: str = "5/minute"
    rate_limit_reset_per_address: str = "10/hour"
    rate_limit_reset_per_account: str = "3/hour"
    # Argon2id cost; raising it rehashes each password at its owner's next sign-in.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)

    # Mail: SMTP when SMTP_HOST is set; otherwise messages are written to OUTBOX_DIR.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    mail_from: str = "RecipeVault <recipevault@localhost>"
    outbox_dir: Path = Path("./var/outbox")

    # Background jobs: Huey on a SQLite file by default, on Redis when REDIS_URL is set.
    jobs_sqlite_path: Path = Path("./var/jobs.db")
    job_max_retries: int = Field(default=3, ge=0, le=20)
    job_retry_delay_seconds: int = Field(default=10, ge=1, le=3600)
    # A running job whose worker sent no heartbeat for this long is taken over by another.
    job_stale_seconds: int = Field(default=60, ge=2, le=3600)

    # Importing. Hosts listed here may be fetched even when they resolve to private addresses.
    import_allowed_hosts: CommaList = Field(default_factory=list)
    fetch_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    fetch_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    bulk_import_max_urls: int = Field(default=500, ge=1, le=5000)
    upload_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    archive_max_entries: int = Field(default=20_000, ge=1)
    archive_max_uncompressed_bytes: int = Field(default=1024 * 1024 * 1024, ge=1024)
    archive_max_ratio: int = Field(default=200, ge=2)
    archive_max_depth: int = Field(default=3, ge=1, le=10)

    # Images and exports.
    image_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(default=50_000_000, ge=10_000)
    image_widths: CommaList = Field(default_factory=lambda: ["320", "960", "2048"])
    export_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)

    # Backups: where scheduled and admin-made archives are kept, how often, how many.
    backup_dir: Path = Path("./var/backups")
    backup_every_hours: int = Field(default=0, ge=0, le=24 * 365)
    backup_keep: int = Field(default=7, ge=1, le=1000)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    # FastAPI's OpenTelemetry spans, metrics and exception logs. Off unless asked for: even with
    # nothing configured, it would look up the global providers on every request.
    opentelemetry: bool = False

    @field_validator(
        "allowed_hosts",
        "cors_origins",
        "trusted_proxies",
        "import_allowed_hosts",
        "image_widths",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the plain URLs operators copy around and pick the async driver for them."""
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError("must be a URL such as sqlite:///./var/recipevault.db")
        drivers = {
            "sqlite": "sqlite+aiosqlite",
            "sqlite+aiosqlite": "sqlite+aiosqlite",
            "postgres": "postgresql+asyncpg",
            "postgresql": "postgresql+asyncpg",
            "postgresql+asyncpg": "postgresql+asyncpg",
        }
        if scheme not in drivers:
            raise ValueError(f"unsupported database scheme {scheme!r}; use sqlite or postgresql")
        return f"{drivers[scheme]}://{rest}"

    @field_validator(
        "rate_limit_login_per_address",
        "rate_limit_login_per_account",
        "rate_limit_reset_per_address",
        "rate_limit_reset_per_account",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '5/minute'") from None
        return value

    @field_validator("image_widths")
    @classmethod
    def _widths(cls, value: list[str]) -> list[str]:
        if not value or not all(item.isdigit() and 16 <= int(item) <= 8192 for item in value):
            raise ValueError("must be a comma-separated list of widths between 16 and 8192")
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _production_secret(self) -> Settings:
        if self.env == Environment.PRODUCTION and (
            self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < MIN_SECRET_KEY_LENGTH
        ):
            raise ValueError(
                "RECIPEVAULT_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def image_sizes(self) -> tuple[int, ...]:
        return tuple(sorted({int(width) for width in self.image_widths}))

    @property
    def is_development(self) -> bool:
        return self.env == Environment.DEVELOPMENT

    @property
    def secure_cookies(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return not self.is_development

    @property
    def session_cookie_name(self) -> str:
        return self.cookie_name("rv_session")

    def cookie_name(self, name: str) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, path /.
        return f"__Host-{name}" if self.secure_cookies else name


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation failures into one operator-readable line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(loc) for loc in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"RECIPEVAULT_{field.upper()}: {message}" if field else message)
    return "invalid configuration: " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
