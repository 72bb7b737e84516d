"""Account tables. Secrets (passwords, tokens, session ids) are stored only as hashes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from recipevault.clock import utcnow
from recipevault.db import Base, CreatedAt
from recipevault.db.column_types import string_enum


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class UnitSystem(StrEnum):
    """The units a person reads recipes in: as each recipe is written (the default), or
    converted to metric or US customary units."""

    ORIGINAL = "original"
    METRIC = "metric"
    US = "us"


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a secret)
    EMAIL_VERIFICATION = "email_verification"


class User(CreatedAt, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (lower-cased), so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"), default=Role.MEMBER)
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified: Mapped[bool] = mapped_column(default=False)
    unit_system: Mapped[UnitSystem] = mapped_column(
        string_enum(UnitSystem, "unit_system"), default=UnitSystem.ORIGINAL
    )
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Bumped when credentials change or the account is deactivated; access tokens carry the
    # value they were issued under and stop working once it moves on.
    auth_epoch: Mapped[int] = mapped_column(default=0)
    # The demo kitchen's account, whose password the README prints: never an admin, and not
    # "a person" when deciding who registered first.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=false())

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class BrowserSession(CreatedAt, Base):
    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class RefreshToken(CreatedAt, Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Every rotation stays in its family; reuse of a spent token revokes the whole family.
    family: Mapped[str] = mapped_column(String(32), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ApiToken(CreatedAt, Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in lists so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    can_write: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AccountToken(CreatedAt, Base):
    """Single-use, expiring tokens mailed to people: password reset, email verification."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(string_enum(TokenPurpose, "purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
