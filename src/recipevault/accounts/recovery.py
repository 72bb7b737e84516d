"""Password reset and email verification through single-use, expiring links sent by mail."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.credentials import hash_secret
from recipevault.accounts.models import AccountToken, TokenPurpose, User
from recipevault.accounts.passwords import PasswordHasher
from recipevault.accounts.service import find_user_by_email, new_password_hash, set_password
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import on_commit
from recipevault.errors import BadRequest
from recipevault.http.ratelimit import RateLimiter
from recipevault.http.signing import new_secret
from recipevault.mail import Mailer, MailMessage


class LinkInvalid(BadRequest):
    title = "Link not valid"
    code = "invalid-link"


async def _issue(
    session: AsyncSession, *, user: User, purpose: TokenPurpose, lifetime: timedelta
) -> str:
    # A new link replaces any earlier one still unused.
    now = utcnow()
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    secret = new_secret()
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_secret(secret),
            expires_at=now + lifetime,
        )
    )
    return secret


async def _redeem(session: AsyncSession, *, secret: str, purpose: TokenPurpose) -> User:
    token, user = await _holder(session, secret=secret, purpose=purpose)
    token.used_at = utcnow()
    return user


async def _holder(
    session: AsyncSession, *, secret: str, purpose: TokenPurpose
) -> tuple[AccountToken, User]:
    """The token, still valid, and the account it was issued to."""
    now = utcnow()
    token = await session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_secret(secret), AccountToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise LinkInvalid("This link is not valid any more; ask for a new one.")
    user = await session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise LinkInvalid("This link is not valid any more; ask for a new one.")
    return token, user


def _link(site_url: str, path: str, token: str) -> str:
    return f"{site_url}{path}?{urlencode({'token': token})}"


async def request_password_reset(
    session: AsyncSession,
    *,
    email: str,
    settings: Settings,
    site_url: str,
    mailer: Mailer,
    limiter: RateLimiter,
    ip: str | None,
) -> None:
    """Mail a reset link if the account exists; answer the same either way. ``site_url``
    must never come from a Host header the site does not know (see ``http.hosts.site_url``)."""
    refusal = "Too many password reset requests; try again later."
    await limiter.consume(
        settings.rate_limit_reset_per_address, "reset:address", ip or "unknown", message=refusal
    )
    await limiter.consume(
        settings.rate_limit_reset_per_account, "reset:account", email, message=refusal
    )
    user = await find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    minutes = settings.password_reset_minutes
    secret = await _issue(
        session, user=user, purpose=TokenPurpose.PASSWORD_RESET, lifetime=timedelta(minutes=minutes)
    )
    audit.record(
        session,
        action="user.password_reset_requested",
        actor_id=None,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    message = MailMessage(
        to=user.email,
        subject="Reset your RecipeVault password",
        body=(
            f"Hello {user.display_name},\n\n"
            f"Someone asked to reset the password of your RecipeVault account. If it was you,\n"
            f"open this link within {minutes} minutes:\n\n"
            f"{_link(site_url, '/reset-password', secret)}\n\n"
            "If it was not you, ignore this message; your password stays as it is.\n"
        ),
    )
    on_commit(session, lambda: mailer.send_later(message))


async def reset_password(
    session: AsyncSession,
    *,
    token: str,
    new_password: str,
    hasher: PasswordHasher,
    ip: str | None,
) -> User:
    """The new password is hashed before the link is used up, outside the write transaction
    (``new_password_hash``); the link is checked again after."""
    _, holder = await _holder(session, secret=token, purpose=TokenPurpose.PASSWORD_RESET)
    password_hash = await new_password_hash(
        session, password=new_password, email=holder.email, hasher=hasher
    )
    user = await _redeem(session, secret=token, purpose=TokenPurpose.PASSWORD_RESET)
    await set_password(session, user=user, password_hash=password_hash)
    # Whoever reads the mailbox controls the account anyway; the address is now proven.
    user.email_verified = True
    audit.record(
        session,
        action="user.password_reset",
        actor_id=user.id,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user


async def send_verification(
    session: AsyncSession, *, user: User, settings: Settings, site_url: str, mailer: Mailer
) -> None:
    if user.email_verified:
        return
    hours = settings.email_verification_hours
    secret = await _issue(
        session, user=user, purpose=TokenPurpose.EMAIL_VERIFICATION, lifetime=timedelta(hours=hours)
    )
    message = MailMessage(
        to=user.email,
        subject="Confirm your email address for RecipeVault",
        body=(
            f"Hello {user.display_name},\n\n"
            f"Please confirm your email address by opening this link within {hours} hours:\n\n"
            f"{_link(site_url, '/verify-email', secret)}\n"
        ),
    )
    on_commit(session, lambda: mailer.send_later(message))


async def verify_email(session: AsyncSession, *, token: str, ip: str | None) -> User:
    user = await _redeem(session, secret=token, purpose=TokenPurpose.EMAIL_VERIFICATION)
    user.email_verified = True
    audit.record(
        session,
        action="user.email_verified",
        actor_id=user.id,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user
