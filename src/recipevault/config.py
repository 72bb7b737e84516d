"""Settings, read once from the environment (prefix ``RECIPEVAULT_``) and an optional ``.env``."""

from __future__ import annotations

import ipaddress
import json
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
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


# List settings are read by ``_list_setting``: a JSON list or comma-separated words.
CommaList = Annotated[list[str], NoDecode]
_BRACKETED_ADDRESS = re.compile(r"^\[[0-9a-f:.]+\]\s*(,|$)", re.IGNORECASE)
LIST_FORMS = 'write a JSON list such as ["a", "b"] or words separated by commas: a,b'


def _list_setting(value: Any) -> Any:
    """A list setting as operators write it: the JSON form (``["a", "b"]``, the form other
    settings libraries expect) or the comma form (``a,b``). Anything else is refused rather
    than read as one odd item."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            # An IPv6 address in brackets may start the comma form: [::1],localhost
            if not _BRACKETED_ADDRESS.match(text):
                raise ValueError(f"{text!r} is not a valid JSON list; {LIST_FORMS}") from None
        else:
            return _json_list(text, items)
    return [item.strip() for item in text.split(",") if item.strip()]


def _json_list(text: str, items: Any) -> list[str]:
    if not isinstance(items, list) or not all(
        isinstance(item, str | int) and not isinstance(item, bool) for item in items
    ):
        raise ValueError(f"{text!r} must list strings or numbers only; {LIST_FORMS}")
    return [str(item).strip() for item in items if str(item).strip()]


_HOST_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?\.?$", re.IGNORECASE)


def host_name(item: str, *, wildcards: bool) -> str:
    """A host name or IP address as a ``Host`` header names it, lower-cased (an IPv6
    address in brackets); with ``wildcards``, also ``*`` or ``*.example.org``."""
    if wildcards and item == "*":
        return item
    name = item[2:] if wildcards and item.startswith("*.") else item
    bare = name.removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        if not _HOST_NAME.match(name):
            allowed = " or a wildcard (*, *.example.org)" if wildcards else ""
            raise ValueError(
                f"{item!r} is not a host name; give names or IP addresses{allowed}, "
                "without scheme, port or path"
            ) from None
        return item.lower()
    if name != item:
        raise ValueError(f"{item!r}: a wildcard covers host names, not IP addresses")
    return f"[{address}]" if address.version == 6 else str(address)


def _origin(item: str) -> str:
    parts = urlsplit(item)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{item!r} is not an origin; write scheme://host[:port] with nothing after it, "
            "as browsers send it (https://app.example.org)"
        )
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise ValueError(f"{item!r} has a port that is not a number") from None
    return f"{parts.scheme}://{parts.netloc.lower()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RECIPEVAULT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # `NAME=` (as in .env.example) means "not set": the default applies.
        env_ignore_empty=True,
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

    # The address people use to reach this site, for links in mails, invites and JSON-LD.
    # Unset: the address each request came to (see ``links.site_url``).
    public_url: str | None = None

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

    # The largest request body (JSON or form); routes that take more declare it (body_limit.py).
    request_max_bytes: int = Field(default=1024 * 1024, ge=1024)

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
    archive_max_entry_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)

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
        return _list_setting(value)

    @field_validator("allowed_hosts")
    @classmethod
    def _allowed_hosts(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one host ('*' for any)")
        return [host_name(item, wildcards=True) for item in value]

    @field_validator("import_allowed_hosts")
    @classmethod
    def _import_hosts(cls, value: list[str]) -> list[str]:
        for item in value:
            host_name(item, wildcards=False)
        return value

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins(cls, value: list[str]) -> list[str]:
        return [_origin(item) for item in value]

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
    def _site_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an address such as https://recipes.example.org")
        if parts.query or parts.fragment or parts.username is not None:
            raise ValueError("must be the site's address, without query, fragment or user")
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
    def _links_need_a_known_address(self) -> Settings:
        if self.public_url is None and any("*" in host for host in self.allowed_hosts):
            raise ValueError(
                "RECIPEVAULT_PUBLIC_URL must be set when RECIPEVAULT_ALLOWED_HOSTS has a "
                "wildcard: links in mails are built from the address of the request only when "
                "its Host is a name the site knows"
            )
        return self

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
    def listen_url(self) -> str:
        """The address the server listens on, for links made outside a request when no
        public address is set."""
        host = self.host
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            if address.is_unspecified:
                host = "localhost"
            elif address.version == 6:
                host = f"[{address}]"
        return f"http://{host}:{self.port}"

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
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    env_file = overrides.get("_env_file", Settings.model_config.get("env_file"))
    if isinstance(env_file, str | Path) and (unknown := _unknown_names(Path(env_file))):
        raise ConfigError(
            f"invalid configuration: {', '.join(unknown)} in {env_file} "
            f"{'is not a setting' if len(unknown) == 1 else 'are not settings'} "
            "(see .env.example for their names)"
        )
    return settings


def _unknown_names(env_file: Path) -> list[str]:
    """Names with our prefix in the .env file that no setting has: a misspelt setting would
    otherwise be ignored and its default used without a word. (The process environment is not
    checked: tools and tests keep variables of their own there.)"""
    if not env_file.is_file():
        return []
    known = {f"RECIPEVAULT_{name.upper()}" for name in Settings.model_fields}
    return sorted(
        name
        for name in dotenv_values(env_file, encoding="utf-8")
        if name.upper().startswith("RECIPEVAULT_") and name.upper() not in known
    )


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
