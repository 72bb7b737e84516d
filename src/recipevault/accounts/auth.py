"""Who is making this request: bearer tokens (JWT access tokens or personal API tokens) or a
browser session cookie, turned into an ``Actor`` once per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import activity, tokens
from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts.credentials import (
    API_TOKEN_PREFIX,
    InvalidAccessToken,
    decode_access_token,
)
from recipevault.accounts.models import UnitSystem, User
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import SAFE_METHODS, Database
from recipevault.errors import Forbidden, Unauthorized
from recipevault.http import identity as asked
from recipevault.http.routing import only_reads
from recipevault.http.signing import same_secret
from recipevault.logging import bind_request_fields
from recipevault.policy import Actor, AuthMethod
from recipevault.web.csrf import CSRF_FORM_FIELD, CSRF_HEADER, CsrfRejected, submitted_csrf


class NotAuthenticated(Unauthorized):
    def __init__(self, detail: str = "Sign in, or send a valid bearer token.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="recipevault"'})


HouseholdsOf = Callable[[AsyncSession, int], Awaitable[Iterable[tuple[int, bool]]]]
"""The households a person belongs to, each with whether they own it."""

_households_of: list[HouseholdsOf] = []


def read_households_with(reader: HouseholdsOf) -> None:
    """Name the function that tells whose households a person is in. Households own their
    memberships and name it when ``households.service`` is imported, so an actor carries them
    while accounts import nothing of households (naming it again replaces it)."""
    _households_of[:] = [reader]


async def _households(session: AsyncSession, user_id: int) -> list[tuple[int, bool]]:
    if not _households_of:
        # Without it every actor would silently be in no household: refuse instead.
        raise RuntimeError("recipevault.households.service is not imported")
    return list(await _households_of[0](session, user_id))


async def _actor(
    session: AsyncSession,
    user: User,
    *,
    via: AuthMethod,
    can_write: bool = True,
    session_id: int | None = None,
) -> Actor:
    households = await _households(session, user.id)
    return Actor(
        user_id=user.id,
        role=user.role,
        household_ids=frozenset(household_id for household_id, _ in households),
        owned_household_ids=frozenset(h for h, owns in households if owns),
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


async def _identity(
    session: AsyncSession,
    user: User,
    *,
    via: AuthMethod,
    can_write: bool = True,
    session_id: int | None = None,
    csrf_token: str | None = None,
) -> Identity:
    actor = await _actor(session, user, via=via, can_write=can_write, session_id=session_id)
    return Identity(
        actor=actor,
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        email_verified=user.email_verified,
        unit_system=user.unit_system,
        csrf_token=csrf_token,
    )


async def _from_bearer(session: AsyncSession, token: str, settings: Settings) -> Identity:
    if token.startswith(API_TOKEN_PREFIX):
        api_token = await tokens.find_api_token(session, token)
        user = await session.get(User, api_token.user_id) if api_token else None
        if api_token is None or user is None or not user.is_active:
            raise NotAuthenticated("The API token is not valid.")
        if activity.due(api_token.last_used_at):
            await activity.record(session, activity.API_TOKEN_USED, api_token.id)
        return await _identity(session, user, via="api_token", can_write=api_token.can_write)
    try:
        claims = decode_access_token(token, secret_key=settings.secret_key, now=utcnow())
    except InvalidAccessToken:
        raise NotAuthenticated("The access token is not valid or has expired.") from None
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active or user.auth_epoch != claims.auth_epoch:
        raise NotAuthenticated("The access token is no longer valid; sign in again.")
    return await _identity(session, user, via="jwt")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking: the actor the rules judge, and the account's plain values (not rows:
    pages still show who is signed in after the request's transaction was rolled back).
    ``csrf_token`` is the browser session's, None for a bearer token."""

    actor: Actor
    user_id: int
    display_name: str
    email: str
    email_verified: bool
    unit_system: UnitSystem
    csrf_token: str | None

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin


async def _from_cookie(
    request: Request, session: AsyncSession, cookie: str, settings: Settings
) -> Identity | None:
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
    return await _identity(
        session, user, via="session", session_id=record.id, csrf_token=record.csrf_token
    )


async def who_is_asking(
    request: Request, *, session: AsyncSession | None = None, browser: bool = False
) -> Identity | None:
    """Who is making this request: the one answer, for the API and the pages alike, worked
    out once per request (later calls, an error page's among them, get the same answer).

    API requests are known by a bearer token (an access token or a personal API token), or
    else the session cookie; pages (``browser``) by the session cookie alone: bearer tokens
    are for API clients. None for an anonymous request, which costs no database read. Without
    ``session``, the credentials are checked in a short read session of their own.

    Raises ``NotAuthenticated`` for credentials that are not valid, ``CsrfRejected`` for an
    unsafe request made with the cookie but without its CSRF token, and ``Forbidden`` for a
    write with a read-only token."""
    if asked.was_asked(request):
        return identity_found(request)
    settings: Settings = request.app.state.settings
    authorization = None if browser else request.headers.get("authorization")
    cookie = request.cookies.get(settings.session_cookie_name)
    identity = None
    if authorization is not None or cookie:
        if session is None:
            database: Database = request.app.state.database
            async with database.session(write=False) as own_session:
                identity = await _identify(request, own_session, settings, authorization, cookie)
        else:
            identity = await _identify(request, session, settings, authorization, cookie)
    asked.remember(request, identity)
    return identity


def identity_found(request: Request) -> Identity | None:
    """The answer ``who_is_asking`` gave this request, if it was asked."""
    found = asked.answer(request)
    return found if isinstance(found, Identity) else None


async def _identify(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    authorization: str | None,
    cookie: str | None,
) -> Identity | None:
    identity: Identity | None
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Use an 'Authorization: Bearer <token>' header.")
        identity = await _from_bearer(session, token.strip(), settings)
        if not identity.actor.can_write and not only_reads(request):
            raise Forbidden("This API token may only read; create one with the write scope.")
    else:
        assert cookie is not None
        identity = await _from_cookie(request, session, cookie, settings)
    if identity is not None:
        bind_request_fields(user_id=identity.user_id)
    return identity
