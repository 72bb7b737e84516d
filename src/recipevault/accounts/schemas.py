"""Account request and response bodies."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from recipevault.accounts.models import Role, UnitSystem
from recipevault.http.schemas import InputModel, Instant, OutputModel

# A household's own mail server may well live under a special-use name (home.arpa, .local,
# localhost), which email-validator refuses as undeliverable on the Internet. RecipeVault only
# hands mail to the SMTP server it is given, so it takes such an address, checking the rest of
# it against a stand-in domain.
_STAND_IN_DOMAIN = "example.org"
_HOST_NAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]{2,63}")


def _special_use(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES)


def normalize_email(value: str) -> str:
    """Syntax-checked and lower-cased: one account per address however it is typed."""
    local, _, domain = value.rpartition("@")
    stand_in = _special_use(domain) and _HOST_NAME.fullmatch(domain.rstrip(".")) is not None
    try:
        result = validate_email(
            f"{local}@{_STAND_IN_DOMAIN}" if stand_in else value, check_deliverability=False
        )
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    if stand_in:
        return f"{result.local_part}@{domain.rstrip('.')}".lower()
    return result.normalized.lower()


Email = Annotated[
    str,
    Field(min_length=3, max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(normalize_email),
]
# Rules beyond length (common passwords) are checked by the service, which names the rule.
Password = Annotated[str, Field(min_length=1, max_length=256)]
DisplayName = Annotated[str, Field(min_length=1, max_length=100)]
Scope = Literal["read", "write"]


class UserCreate(InputModel):
    email: Email
    password: Password
    display_name: DisplayName


class UserUpdate(InputModel):
    display_name: DisplayName | None = None
    unit_system: UnitSystem | None = None


class PasswordChange(InputModel):
    current_password: Password
    new_password: Password


class UserRead(OutputModel):
    id: int
    email: str
    display_name: str
    role: Role
    is_active: bool
    email_verified: bool
    unit_system: UnitSystem
    created_at: datetime
    last_login_at: datetime | None


class UserSummary(OutputModel):
    id: int
    display_name: str


class TokenPair(OutputModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class PasswordGrant(BaseModel):
    """The OAuth2 password grant (RFC 6749 section 4.3), form-encoded. OAuth2 clients send
    fields this API has no use for (`scope`, `client_id`); they are ignored."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["password"] = "password"
    username: str = Field(
        min_length=1,
        max_length=320,
        description="The account's email address",
        json_schema_extra={"format": "email"},
    )
    password: str = Field(min_length=1, max_length=256)
    scope: str = Field(default="", max_length=1000)
    client_id: str | None = Field(default=None, max_length=200)
    client_secret: str | None = Field(default=None, max_length=200)


class RefreshRequest(InputModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class SessionLogin(InputModel):
    email: Email
    password: Password


class SessionRead(OutputModel):
    user: UserRead
    csrf_token: str
    expires_at: datetime


class ApiTokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(default=["read"], min_length=1, max_length=2)
    expires_at: Instant | None = None


class ApiTokenForm(InputModel):
    """The account page's token form: a lifetime in days instead of an expiry instant."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(default=["read"], min_length=1, max_length=2)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    def to_create(self, *, now: datetime) -> ApiTokenCreate:
        expires_at = now + timedelta(days=self.expires_in_days) if self.expires_in_days else None
        return ApiTokenCreate(name=self.name, scopes=self.scopes, expires_at=expires_at)


class ProfileForm(InputModel):
    """The account page's profile form: unlike ``UserUpdate``, it always sends every field."""

    display_name: DisplayName
    unit_system: UnitSystem

    def to_update(self) -> UserUpdate:
        return UserUpdate(display_name=self.display_name, unit_system=self.unit_system)


class ApiTokenRead(OutputModel):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="Shown once; store it now.")


class PasswordResetRequest(InputModel):
    email: Email


class PasswordResetConfirm(InputModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: Password


class EmailVerification(InputModel):
    token: str = Field(min_length=1, max_length=200)
