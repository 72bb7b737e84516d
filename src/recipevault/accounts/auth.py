"""Who is making this request: bearer tokens (JWT access tokens or personal API tokens) or a
browser session cookie, turned into an ``Actor`` once per request."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import activity, tokens
from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts.credentials import (
    API_TOKEN_PREFIX,
    InvalidAccessToken,
    decode_access_token,
    same_secret,
)
from recipevault.accounts.models import UnitSystem, User
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import SAFE_METHODS
from recipevault.errors import Forbidden, Unauthorized
from recipevault.households.models import MemberRole
from recipevault.households.service import memberships
from recipevault.logging import bind_request_fields
from recipevault.policy import Actor, AuthMethod
from recipevault.routing import only_reads

CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class NotAuthenticated(Unauthorized):
    def __init__(self, detail: str = "Sign in, or send a valid bearer token.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="recipevault"'})


class CsrfRejected(Forbidden):
    title = "CSRF token missing or wrong"
    code = "csrf"


async def _actor(
    session: AsyncSession,
    user: User,
    *,
    via: AuthMethod,
    can_write: bool = True,
    session_id: int | None = None,
) -> Actor:
    roles = await memberships(session, user.id)
    return Actor(
        user_id=user.id,
        role=user.role,
        household_ids=frozenset(household_id for household_id, _ in roles),
        owned_household_ids=frozenset(h for h, role in roles if role == MemberRole.OWNER),
        via=via,
        can_write=can_write,
        session_id=session_id,
    )


async def actor_for_job(session: AsyncSession, user_id: int) -> Actor | None:
    """The person a background job acts for, as they are now: None once their account is
    closed or deactivated, so a queued job cannot outlive its owner's access."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return await _actor(session, user, via="job")


async def _from_bearer(session: AsyncSession, token: str, settings: Settings) -> Actor:
    if token.startswith(API_TOKEN_PREFIX):
        api_token = await tokens.find_api_token(session, token)
        user = await session.get(User, api_token.user_id) if api_token else None
        if api_token is None or user is None or not user.is_active:
            raise NotAuthenticated("The API token is not valid.")
        if activity.due(api_token.last_used_at):
            await activity.record(session, activity.API_TOKEN_USED, api_token.id)
        return await _actor(session, user, via="api_token", can_write=api_token.can_write)
    try:
        claims = decode_access_token(token, secret_key=settings.secret_key, now=utcnow())
    except InvalidAccessToken:
        raise NotAuthenticated("The access token is not valid or has expired.") from None
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active or user.auth_epoch != claims.auth_epoch:
        raise NotAuthenticated("The access token is no longer valid; sign in again.")
    return await _actor(session, user, via="jwt")


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with a request, from the header or else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True, slots=True)
class BrowserIdentity:
    """A browser signed in with the session cookie. Plain values, not rows: pages still show
    who is signed in after the request's transaction was rolled back."""

    actor: Actor
    user_id: int
    display_name: str
    email: str
    email_verified: bool
    unit_system: UnitSystem
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin


async def _from_cookie(
    request: Request, session: AsyncSession, cookie: str, settings: Settings
) -> BrowserIdentity | None:
    found = await browser_sessions.find_session(session, cookie_value=cookie, settings=settings)
    if found is None:
        return None
    record, user = found
    if request.method not in SAFE_METHODS:
        submitted = await submitted_csrf(request)
        if submitted is None or not same_secret(submitted, record.csrf_token):
            raise CsrfRejected(
                f"Send the session's CSRF token in the {CSRF_HEADER} header or the "
                f"{CSRF_FORM_FIELD} form field."
            )
    if activity.due(record.last_seen_at):
        await activity.record(session, activity.SESSION_SEEN, record.id)
    return BrowserIdentity(
        actor=await _actor(session, user, via="session", session_id=record.id),
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        email_verified=user.email_verified,
        unit_system=user.unit_system,
        csrf_token=record.csrf_token,
    )


async def authenticate_request(request: Request, session: AsyncSession) -> Actor | None:
    settings: Settings = request.app.state.settings
    authorization = request.headers.get("authorization")
    actor: Actor | None
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Use an 'Authorization: Bearer <token>' header.")
        actor = await _from_bearer(session, token.strip(), settings)
    elif cookie := request.cookies.get(settings.session_cookie_name):
        identity = await _from_cookie(request, session, cookie, settings)
        actor = identity.actor if identity is not None else None
    else:
        actor = None
    if actor is not None:
        if not actor.can_write and not only_reads(request):
            raise Forbidden("This API token may only read; create one with the write scope.")
        bind_request_fields(user_id=actor.user_id)
    return actor


async def authenticate_browser(request: Request, session: AsyncSession) -> BrowserIdentity | None:
    """Who is signed in with the session cookie (bearer tokens are for API clients, and
    pages ignore them). Unsafe requests must carry the session's CSRF token, as on the API."""
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(settings.session_cookie_name)
    if not cookie:
        return None
    identity = await _from_cookie(request, session, cookie, settings)
    if identity is not None:
        bind_request_fields(user_id=identity.user_id)
    return identity
