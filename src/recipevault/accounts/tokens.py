"""Bearer credentials: short-lived access tokens with rotating refresh tokens, and personal
API tokens with scopes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.credentials import (
    API_TOKEN_PREFIX,
    REFRESH_TOKEN_PREFIX,
    encode_access_token,
    hash_secret,
)
from recipevault.accounts.models import ApiToken, RefreshToken, User
from recipevault.accounts.schemas import ApiTokenCreate, ApiTokenRead
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.errors import NotFound, Unauthorized, Unprocessable, field_errors
from recipevault.http.signing import new_secret


class RefreshRefused(Unauthorized):
    title = "Refresh token not accepted"
    code = "invalid-refresh-token"
    # Reuse of a spent token revokes its family; that must stick although the request fails.
    keep_changes = True


class ApiTokenNotFound(NotFound):
    title = "API token not found"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


def _access_token(user: User, settings: Settings) -> tuple[str, int]:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token, _ = encode_access_token(
        user_id=user.id,
        auth_epoch=user.auth_epoch,
        secret_key=settings.secret_key,
        now=utcnow(),
        lifetime=lifetime,
    )
    return token, int(lifetime.total_seconds())


def _new_refresh_token(session: AsyncSession, user: User, family: str, settings: Settings) -> str:
    secret = new_secret(REFRESH_TOKEN_PREFIX)
    session.add(
        RefreshToken(
            user_id=user.id,
            family=family,
            token_hash=hash_secret(secret),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    return secret


def issue_tokens(session: AsyncSession, *, user: User, settings: Settings) -> IssuedTokens:
    """A new token family, at sign-in."""
    access, expires_in = _access_token(user, settings)
    refresh = _new_refresh_token(session, user, new_secret()[:32], settings)
    return IssuedTokens(access_token=access, refresh_token=refresh, expires_in=expires_in)


async def _revoke_family(session: AsyncSession, family: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def rotate_refresh_token(
    session: AsyncSession, *, refresh_token: str, settings: Settings, ip: str | None
) -> IssuedTokens:
    """Spend a refresh token for a new pair. Presenting a spent one means it was copied:
    the whole family is revoked, the thief's and the owner's alike."""
    now = utcnow()
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
    )
    if stored is None:
        raise RefreshRefused("The refresh token is not valid.")
    if stored.used_at is not None:
        await _revoke_family(session, stored.family)
        audit.record(
            session,
            action="auth.refresh_reuse",
            actor_id=stored.user_id,
            ip=ip,
            target_type="user",
            target_id=stored.user_id,
        )
        raise RefreshRefused("The refresh token was already used; sign in again.")
    if stored.revoked_at is not None or stored.expires_at <= now:
        raise RefreshRefused("The refresh token has expired or was revoked; sign in again.")
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise RefreshRefused("The refresh token is not valid.")
    stored.used_at = now
    access, expires_in = _access_token(user, settings)
    refresh = _new_refresh_token(session, user, stored.family, settings)
    return IssuedTokens(access_token=access, refresh_token=refresh, expires_in=expires_in)


async def revoke_refresh_token(
    session: AsyncSession, *, refresh_token: str, ip: str | None
) -> None:
    """Sign out of an API client: its refresh token family stops working. Unknown tokens are
    ignored, so signing out twice is harmless."""
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
    )
    if stored is not None:
        await _revoke_family(session, stored.family)
        audit.record(
            session,
            action="auth.logout",
            actor_id=stored.user_id,
            ip=ip,
            target_type="user",
            target_id=stored.user_id,
        )


# --- Personal API tokens ------------------------------------------------------------------


def token_scopes(token: ApiToken) -> list[str]:
    return ["read", "write"] if token.can_write else ["read"]


def token_read(record: ApiToken) -> ApiTokenRead:
    return ApiTokenRead(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        scopes=token_scopes(record),
        created_at=record.created_at,
        expires_at=record.expires_at,
        last_used_at=record.last_used_at,
    )


async def create_api_token(
    session: AsyncSession, *, user: User, data: ApiTokenCreate, ip: str | None
) -> tuple[ApiToken, str]:
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise Unprocessable(
            "The expiry must be in the future.",
            extra=field_errors("expires_at", "Must be in the future"),
        )
    secret = new_secret(API_TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        token_hash=hash_secret(secret),
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        can_write="write" in data.scopes,
        expires_at=data.expires_at,
    )
    session.add(token)
    await session.flush()
    audit.record(
        session,
        action="token.created",
        actor_id=user.id,
        ip=ip,
        target_type="api_token",
        target_id=token.id,
        details={"scopes": token_scopes(token)},
    )
    return token, secret


async def list_api_tokens(session: AsyncSession, *, user: User) -> list[ApiToken]:
    result = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return list(result.all())


async def delete_api_token(
    session: AsyncSession, *, user: User, token_id: int, ip: str | None
) -> None:
    token = await session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise ApiTokenNotFound()
    await session.delete(token)
    audit.record(
        session,
        action="token.revoked",
        actor_id=user.id,
        ip=ip,
        target_type="api_token",
        target_id=token_id,
    )
