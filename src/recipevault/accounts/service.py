"""Account use cases: the rules of registering, sign-in checks, profile and password changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import ApiToken, BrowserSession, RefreshToken, Role, User
from recipevault.accounts.passwords import PasswordHasher, check_password_rules
from recipevault.accounts.schemas import UserCreate, UserUpdate
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database, before_slow_work, transaction_lock
from recipevault.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from recipevault.http.ratelimit import RateLimiter

SIGN_IN_FAILED = "The email or password is not correct."


class UserNotFound(NotFound):
    title = "User not found"


class EmailTaken(Conflict):
    title = "Email already registered"


class RegistrationClosed(Forbidden):
    title = "Registration closed"
    code = "registration-closed"


class SignInFailed(Unauthorized):
    """Same words whether the email exists or not; the failure itself is kept and audited."""

    title = "Sign-in failed"
    code = "sign-in-failed"
    keep_changes = True


class AccountLocked(TooManyRequests):
    title = "Account locked"
    code = "account-locked"
    keep_changes = True


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


# An account as its owner reads it (``schemas.UserRead``), by its fields' names.
_ACCOUNT_FIELDS = (
    User.id,
    User.email,
    User.display_name,
    User.role,
    User.is_active,
    User.email_verified,
    User.unit_system,
    User.created_at,
    User.last_login_at,
)
_READ_ACCOUNT = select(*_ACCOUNT_FIELDS).where(User.id == bindparam("user_id"))
_ACCOUNT_NAMES = tuple(column.key for column in _ACCOUNT_FIELDS)


async def read_account(database: Database, user_id: int) -> dict[str, Any]:
    """The account's fields its owner reads, by name, in one read of what is committed (no
    ORM session): for the reads that need nothing else of it."""
    row = await database.first(_READ_ACCOUNT, {"user_id": user_id})
    if row is None:
        raise UserNotFound()
    return dict(zip(_ACCOUNT_NAMES, row, strict=True))


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


def display_name_of(user_id: ColumnElement[int]) -> ScalarSelect[str]:
    """The display name of the account ``user_id`` names, as a column for other features'
    statements (looked up by primary key, row by row)."""
    return select(User.display_name).where(User.id == user_id).scalar_subquery()


async def display_names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


async def _someone_registered(session: AsyncSession) -> bool:
    """Whether a person has an account (the demo account is nobody's), or anyone is an admin."""
    found = await session.scalar(
        select(User.id).where(or_(User.is_demo.is_(False), User.role == Role.ADMIN)).limit(1)
    )
    return found is not None


async def _first_person(session: AsyncSession) -> bool:
    """Whether the account being registered is the first a person registers on this site."""
    if await _someone_registered(session):
        return False
    # Two people registering at once must not both become the admin: the second decides
    # after the first has committed.
    await transaction_lock(session, "accounts.first-person")
    return not await _someone_registered(session)


async def registration_allowed(session: AsyncSession, *, registration_open: bool) -> bool:
    """Whether someone may register now: the site allows it, or no person has an account yet
    (the demo account does not count), so whoever set the site up can always get in."""
    return registration_open or not await _someone_registered(session)


def _registration_closed() -> RegistrationClosed:
    return RegistrationClosed("Registration is closed on this site; ask an admin for an account.")


async def new_password_hash(
    session: AsyncSession, *, password: str, email: str, hasher: PasswordHasher
) -> str:
    """Check a new password against the rules and hash it (tens of milliseconds of Argon2)
    outside the write transaction (``db.before_slow_work``): what the session read before is
    to be read again after."""
    check_password_rules(password, email=email)
    await before_slow_work(session)
    return await hasher.hash(password)


async def create_account(
    session: AsyncSession,
    *,
    data: UserCreate,
    hasher: PasswordHasher,
    registration_open: bool,
    ip: str | None,
    admin: bool = False,
    demo: bool = False,
) -> User:
    """Create an account (``registration.service.register_user`` makes it with its personal
    household). The first account a person registers becomes the site's admin; the demo
    account (``demo``, whose password is public) never does, nor counts as that person."""
    # Refused before hashing when it will be refused after: a closed site spends nothing.
    if not (admin or await registration_allowed(session, registration_open=registration_open)):
        raise _registration_closed()
    password_hash = await new_password_hash(
        session, password=data.password, email=data.email, hasher=hasher
    )
    first_person = not demo and await _first_person(session)
    if not (registration_open or first_person or admin):
        raise _registration_closed()
    if await find_user_by_email(session, data.email) is not None:
        raise EmailTaken("An account with this email already exists.")
    user = User(
        email=data.email,
        display_name=data.display_name,
        password_hash=password_hash,
        role=Role.ADMIN if (first_person or admin) and not demo else Role.MEMBER,
        is_demo=demo,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        action="user.registered",
        actor_id=user.id,
        ip=ip,
        target_type="user",
        target_id=user.id,
        details={"role": user.role.value},
    )
    return user


async def authenticate(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    hasher: PasswordHasher,
    settings: Settings,
    ip: str | None,
) -> User:
    """Check a password sign-in. Failures count toward a temporary lock of the account.

    The password is checked outside any transaction (see ``db.before_slow_work``), and the
    account read again after it."""
    now = utcnow()
    user = await find_user_by_email(session, email)
    if user is None:
        await before_slow_work(session)
        await hasher.burn(password)
        audit.record(
            session,
            action="auth.login_failed",
            actor_id=None,
            ip=ip,
            details={"reason": "unknown_email"},
        )
        raise SignInFailed(SIGN_IN_FAILED)
    if user.is_locked(now):
        assert user.locked_until is not None
        seconds = max(1, int((user.locked_until - now).total_seconds()))
        audit.record(
            session,
            action="auth.login_refused",
            actor_id=user.id,
            ip=ip,
            target_type="user",
            target_id=user.id,
            details={"reason": "locked"},
        )
        raise AccountLocked(
            "Too many failed sign-ins; this account is locked for a while.",
            headers={"Retry-After": str(seconds)},
        )
    user_id, checked_hash = user.id, user.password_hash
    await before_slow_work(session)
    matches, new_hash = await hasher.verify(password, checked_hash)
    user = await session.get(User, user_id, populate_existing=True)
    if user is None:  # closed meanwhile
        raise SignInFailed(SIGN_IN_FAILED)
    if user.password_hash != checked_hash:  # changed meanwhile: the check no longer holds
        matches, new_hash = False, None
    if not matches or not user.is_active:
        user.failed_logins += 1
        details: dict[str, object] = {"reason": "bad_password" if not matches else "inactive"}
        if user.failed_logins >= settings.lockout_threshold:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            details["locked"] = True
        audit.record(
            session,
            action="auth.login_failed",
            actor_id=user.id,
            ip=ip,
            target_type="user",
            target_id=user.id,
            details=details,
        )
        raise SignInFailed(SIGN_IN_FAILED)
    if new_hash is not None:
        user.password_hash = new_hash
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(
        session, action="auth.login", actor_id=user.id, ip=ip, target_type="user", target_id=user.id
    )
    return user


async def update_profile(session: AsyncSession, *, user: User, data: UserUpdate) -> User:
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(user, field, value)
    return user


async def revoke_credentials(
    session: AsyncSession, user: User, *, keep_session_id: int | None = None
) -> None:
    """End every way in: sessions (but the one kept), refresh tokens, and, through the epoch,
    access tokens already handed out."""
    now = utcnow()
    user.auth_epoch += 1
    sessions = delete(BrowserSession).where(BrowserSession.user_id == user.id)
    if keep_session_id is not None:
        sessions = sessions.where(BrowserSession.id != keep_session_id)
    await session.execute(sessions)
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


NOT_CURRENT = "The current password is not correct."


async def change_password(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    new_password: str,
    hasher: PasswordHasher,
    keep_session_id: int | None,
    ip: str | None,
) -> None:
    """Both passwords are hashed outside the write transaction, and the account read again
    after: a password changed meanwhile makes the current one given no longer current."""
    user_id, checked_hash, email = user.id, user.password_hash, user.email
    await before_slow_work(session)
    matches, _ = await hasher.verify(current_password, checked_hash)
    if not matches:
        raise Forbidden(NOT_CURRENT)
    password_hash = await new_password_hash(
        session, password=new_password, email=email, hasher=hasher
    )
    reread = await session.get(User, user_id, populate_existing=True)
    if reread is None or reread.password_hash != checked_hash:
        raise Forbidden(NOT_CURRENT)
    await set_password(
        session, user=reread, password_hash=password_hash, keep_session_id=keep_session_id
    )
    audit.record(
        session,
        action="user.password_changed",
        actor_id=user_id,
        ip=ip,
        target_type="user",
        target_id=user_id,
    )


async def set_password(
    session: AsyncSession,
    *,
    user: User,
    password_hash: str,
    keep_session_id: int | None = None,
) -> None:
    """Give the account a new password (``new_password_hash``), ending every other session."""
    user.password_hash = password_hash
    user.failed_logins = 0
    user.locked_until = None
    await revoke_credentials(session, user, keep_session_id=keep_session_id)


async def deactivate(session: AsyncSession, user: User) -> None:
    user.is_active = False
    await revoke_credentials(session, user)
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


async def sign_in(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    settings: Settings,
    ip: str | None,
) -> User:
    """A password sign-in behind the per-address and per-account rate limits: only failures
    count, so people who type their password right are never slowed down."""
    address_key = ("sign-in:address", ip or "unknown")
    account_key = ("sign-in:account", email)
    message = "Too many failed sign-ins; wait a little before trying again."
    await limiter.ensure_allowed(
        settings.rate_limit_login_per_address, *address_key, message=message
    )
    await limiter.ensure_allowed(
        settings.rate_limit_login_per_account, *account_key, message=message
    )
    try:
        return await authenticate(
            session, email=email, password=password, hasher=hasher, settings=settings, ip=ip
        )
    except SignInFailed:
        await limiter.hit(settings.rate_limit_login_per_address, *address_key)
        await limiter.hit(settings.rate_limit_login_per_account, *account_key)
        raise
