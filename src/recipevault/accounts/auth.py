"""Who is making this request: bearer tokens (JWT access tokens or personal API tokens) or a
browser session cookie, turned into an ``Actor`` once per request.

Each way of asking is one read-only Core statement through the database's read API
(``Database.rows``): the credential's digest (or the access token's account) to the account's
fields and its households, one row per household. Nothing about who someone is is kept between
requests, so a revoked token, a closed session, a deactivated account or a new ``auth_epoch``
counts from the next request on, in every process. Nothing is written unless a credential's
"last used" mark is due (``activity``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from fastapi import Request
from sqlalchemy import FromClause, Integer, Select, String, bindparam, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import activity
from recipevault.accounts.credentials import (
    API_TOKEN_PREFIX,
    InvalidAccessToken,
    decode_access_token,
    hash_secret,
)
from recipevault.accounts.models import ApiToken, BrowserSession, Role, UnitSystem, User
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


_households_of: list[FromClause] = []


def read_households_with(memberships: FromClause) -> None:
    """Name the rows that tell whose households a person is in: a selectable with the columns
    ``user_id``, ``household_id`` and ``owns`` (true for the household's owner). Households own
    their memberships and name them when ``households.service`` is imported, so an actor
    carries them while accounts import nothing of households (naming them again replaces
    them)."""
    _households_of[:] = [memberships]


def _memberships() -> FromClause:
    if not _households_of:
        # Without them every actor would silently be in no household: refuse instead.
        raise RuntimeError("recipevault.households.service is not imported")
    return _households_of[0]


# --- The statements -------------------------------------------------------------------------
# Every row starts with the account's fields and ends with one of its households (NULLs when
# it has none); the credential's own fields sit between. Values are read as the driver gives
# them (enums as text, booleans as integers), so the fast readers run them as they are.

_ACCOUNT = (
    User.id,
    type_coerce(User.role, String),
    User.display_name,
    User.email,
    type_coerce(User.email_verified, Integer),
    type_coerce(User.unit_system, String),
    User.auth_epoch,
)
_HOUSEHOLD, _OWNS = -2, -1
Query = Select[*tuple[Any, ...]]


def _due(last_used: Any) -> Any:
    """Whether a credential's mark is due (``activity.due``) as SQL: ``due_before`` is now less
    the interval."""
    return type_coerce(or_(last_used.is_(None), last_used <= bindparam("due_before")), Integer)


def _with_households(statement: Query, memberships: FromClause) -> Query:
    return statement.add_columns(
        memberships.c.household_id, type_coerce(memberships.c.owns, Integer)
    ).outerjoin(memberships, memberships.c.user_id == User.id)


@dataclass(frozen=True, slots=True)
class _Statements:
    by_api_token: Query
    by_session: Query
    by_account: Query


@cache
def _statements(memberships: FromClause) -> _Statements:
    """The statements for ``memberships``, built once."""
    by_api_token = (
        select(*_ACCOUNT, ApiToken.id, type_coerce(ApiToken.can_write, Integer))
        .add_columns(_due(ApiToken.last_used_at))
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == bindparam("digest"),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
            User.is_active,
        )
    )
    by_session = (
        select(*_ACCOUNT, BrowserSession.id, BrowserSession.csrf_token)
        .add_columns(_due(BrowserSession.last_seen_at))
        .select_from(BrowserSession)
        .join(User, User.id == BrowserSession.user_id)
        .where(
            BrowserSession.token_hash == bindparam("digest"),
            BrowserSession.expires_at > bindparam("now"),
            BrowserSession.last_seen_at > bindparam("idle_since"),
            User.is_active,
        )
    )
    by_account = select(*_ACCOUNT).where(User.id == bindparam("user_id"), User.is_active)
    return _Statements(
        by_api_token=_with_households(by_api_token, memberships),
        by_session=_with_households(by_session, memberships),
        by_account=_with_households(by_account, memberships),
    )


# --- Reading them ---------------------------------------------------------------------------


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


def _actor(
    rows: Sequence[Sequence[Any]],
    *,
    via: AuthMethod,
    can_write: bool = True,
    session_id: int | None = None,
) -> Actor:
    account = rows[0]
    households = frozenset(row[_HOUSEHOLD] for row in rows if row[_HOUSEHOLD] is not None)
    return Actor(
        user_id=account[0],
        role=Role(account[1]),
        household_ids=households,
        owned_household_ids=frozenset(
            row[_HOUSEHOLD] for row in rows if row[_HOUSEHOLD] is not None and row[_OWNS]
        ),
        via=via,
        can_write=can_write,
        session_id=session_id,
    )


def _identity(rows: Sequence[Sequence[Any]], actor: Actor, csrf_token: str | None) -> Identity:
    account = rows[0]
    return Identity(
        actor=actor,
        user_id=account[0],
        display_name=account[2],
        email=account[3],
        email_verified=bool(account[4]),
        unit_system=UnitSystem(account[5]),
        csrf_token=csrf_token,
    )


async def actor_for_job(session: AsyncSession, user_id: int) -> Actor | None:
    """The person a background job acts for, as they are now: None once their account is
    closed or deactivated, so a queued job cannot outlive its owner's access."""
    statement = _statements(_memberships()).by_account
    rows = (await session.execute(statement, {"user_id": user_id})).all()
    return _actor(rows, via="job") if rows else None


def _marks_due(now: Any) -> dict[str, Any]:
    return {"now": now, "due_before": now - activity.TOUCH_INTERVAL}


class _Asking:
    """One request's identification: where it reads (the app's database, as committed), and
    where a due mark goes (with ``session``'s unit of work when there is one)."""

    __slots__ = ("request", "session")

    def __init__(self, request: Request, session: AsyncSession | None) -> None:
        self.request = request
        self.session = session

    @property
    def database(self) -> Database:
        database: Database = self.request.app.state.database
        return database

    async def rows(self, statement: Query, parameters: dict[str, Any]) -> Sequence[Any]:
        return await self.database.rows(statement, parameters)

    async def mark(self, mark: Any, record_id: int) -> None:
        await activity.record(self.session or self.database, mark, record_id)


_ACCOUNT_FIELDS = len(_ACCOUNT)


async def _from_bearer(asking: _Asking, token: str, settings: Settings) -> Identity:
    statements = _statements(_memberships())
    if token.startswith(API_TOKEN_PREFIX):
        rows = await asking.rows(
            statements.by_api_token, {"digest": hash_secret(token), **_marks_due(utcnow())}
        )
        if not rows:
            raise NotAuthenticated("The API token is not valid.")
        token_id, can_write, due = rows[0][_ACCOUNT_FIELDS : _ACCOUNT_FIELDS + 3]
        if due:
            await asking.mark(activity.API_TOKEN_USED, token_id)
        actor = _actor(rows, via="api_token", can_write=bool(can_write))
        return _identity(rows, actor, None)
    try:
        claims = decode_access_token(token, secret_key=settings.secret_key, now=utcnow())
    except InvalidAccessToken:
        raise NotAuthenticated("The access token is not valid or has expired.") from None
    rows = await asking.rows(statements.by_account, {"user_id": claims.user_id})
    if not rows or rows[0][_ACCOUNT_FIELDS - 1] != claims.auth_epoch:
        raise NotAuthenticated("The access token is no longer valid; sign in again.")
    return _identity(rows, _actor(rows, via="jwt"), None)


async def _from_cookie(
    request: Request, asking: _Asking, cookie: str, settings: Settings
) -> Identity | None:
    now = utcnow()
    rows = await asking.rows(
        _statements(_memberships()).by_session,
        {
            "digest": hash_secret(cookie),
            "idle_since": now - timedelta(minutes=settings.session_idle_minutes),
            **_marks_due(now),
        },
    )
    if not rows:
        return None
    session_id, csrf_token, due = rows[0][_ACCOUNT_FIELDS : _ACCOUNT_FIELDS + 3]
    if request.method not in SAFE_METHODS:
        submitted = await submitted_csrf(request)
        if submitted is None or not same_secret(submitted, csrf_token):
            raise CsrfRejected(
                f"Send the session's CSRF token in the {CSRF_HEADER} header or the "
                f"{CSRF_FORM_FIELD} form field."
            )
    if due:
        await asking.mark(activity.SESSION_SEEN, session_id)
    actor = _actor(rows, via="session", session_id=session_id)
    return _identity(rows, actor, csrf_token)


async def who_is_asking(
    request: Request, *, session: AsyncSession | None = None, browser: bool = False
) -> Identity | None:
    """Who is making this request: the one answer, for the API and the pages alike, worked
    out once per request (later calls, an error page's among them, get the same answer).

    API requests are known by a bearer token (an access token or a personal API token), or
    else the session cookie; pages (``browser``) by the session cookie alone: bearer tokens
    are for API clients. None for an anonymous request, which costs no database read. The
    credentials are checked by one read of what is committed (``Database.rows``); a "last
    used" mark that is due goes with ``session``'s unit of work when it writes, else soon
    after the response.

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
        asking = _Asking(request, session)
        identity = await _identify(request, asking, settings, authorization, cookie)
    asked.remember(request, identity)
    return identity


def identity_found(request: Request) -> Identity | None:
    """The answer ``who_is_asking`` gave this request, if it was asked."""
    found = asked.answer(request)
    return found if isinstance(found, Identity) else None


async def _identify(
    request: Request,
    asking: _Asking,
    settings: Settings,
    authorization: str | None,
    cookie: str | None,
) -> Identity | None:
    identity: Identity | None
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Use an 'Authorization: Bearer <token>' header.")
        identity = await _from_bearer(asking, token.strip(), settings)
        if not identity.actor.can_write and not only_reads(request):
            raise Forbidden("This API token may only read; create one with the write scope.")
    else:
        assert cookie is not None
        identity = await _from_cookie(request, asking, cookie, settings)
    if identity is not None:
        bind_request_fields(user_id=identity.user_id)
    return identity
