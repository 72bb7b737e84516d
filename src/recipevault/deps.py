"""Shared dependency aliases; routes declare these instead of ``= Depends(...)`` defaults.

API routes know the caller by a bearer token or the session cookie; pages by the browser
session cookie alone, and a page's unsafe request without a session must pass the visitor's
CSRF check (``web.csrf``). Both ask ``accounts.auth.who_is_asking``, once per request.

Every dependency is ``async def``, even when it awaits nothing: FastAPI runs plain ``def``
dependencies in a worker thread, which costs a thread hop per dependency per request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from recipevault.accounts.auth import Identity, NotAuthenticated, who_is_asking
from recipevault.accounts.passwords import PasswordHasher
from recipevault.db import SAFE_METHODS, request_session
from recipevault.errors import Forbidden, Unauthorized

# The settings, the database and the request's session are declared by the HTTP kit (its own
# routes use them too); feature routes import them from here with the rest.
from recipevault.http.dependencies import DatabaseDep as DatabaseDep
from recipevault.http.dependencies import SessionDep as SessionDep
from recipevault.http.dependencies import SettingsDep as SettingsDep
from recipevault.http.dependencies import database_of
from recipevault.http.hosts import site_url
from recipevault.http.openapi import DependencyErrors
from recipevault.http.ratelimit import RateLimiter
from recipevault.jobs.queue import JobQueue
from recipevault.mail import Mailer
from recipevault.policy import Actor
from recipevault.web.csrf import FORM_REFUSED, CsrfRejected, check_anonymous_csrf
from recipevault.web.rendering import render_error_page


async def _optional_actor(request: Request, session: SessionDep) -> Actor | None:
    identity = await who_is_asking(request, session=session)
    return None if identity is None else identity.actor


async def _current_actor(actor: Annotated[Actor | None, Depends(_optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


async def _admin_actor(actor: Annotated[Actor, Depends(_current_actor)]) -> Actor:
    if not actor.is_admin:
        raise Forbidden("Only site admins can do that.")
    return actor


async def read_viewer(request: Request) -> Actor | None:
    """The viewer of a read-only route that has no session of its own: anonymous requests, the
    bulk of public reads, cost nothing (see ``who_is_asking``)."""
    identity = await who_is_asking(request)
    return None if identity is None else identity.actor


OptionalUser = Annotated[Actor | None, Depends(_optional_actor)]
# For GET routes that read through ``Database.read`` instead of declaring a SessionDep.
ReadViewer = Annotated[Actor | None, Depends(read_viewer)]
CurrentUser = Annotated[Actor, Depends(_current_actor)]
AdminUser = Annotated[Actor, Depends(_admin_actor)]


class SignInRequired(Unauthorized):
    title = "Sign in required"
    code = "sign-in-required"


async def _mark_page(request: Request) -> None:
    # Errors on page routes answer with HTML pages whatever the Accept header says.
    request.state.page = True


async def _page_viewer(request: Request, session: SessionDep) -> Identity | None:
    request.state.page = True
    try:
        identity = await who_is_asking(request, session=session, browser=True)
    except CsrfRejected:
        # The API's wording names headers and fields; people need to know what to do.
        raise CsrfRejected(FORM_REFUSED) from None
    if identity is None and request.method not in SAFE_METHODS:
        await check_anonymous_csrf(request)
    return identity


async def _page_user(
    identity: Annotated[Identity | None, Depends(_page_viewer)],
) -> Identity:
    if identity is None:
        # errors.py turns this into a redirect to the sign-in page for browsers.
        raise SignInRequired("Sign in to see this page.")
    return identity


async def _page_admin(identity: Annotated[Identity, Depends(_page_user)]) -> Identity:
    if not identity.is_admin:
        raise Forbidden("Only site admins can see this page.")
    return identity


# Router-level dependency of page routers: see ``errors.wants_html``.
MarkPage = Depends(_mark_page)
# The signed-in browser or None; unsafe requests must pass the CSRF check either way.
OptionalPageUser = Annotated[Identity | None, Depends(_page_viewer)]
# Signed in, or a redirect to the sign-in page.
PageUser = Annotated[Identity, Depends(_page_user)]
PageAdmin = Annotated[Identity, Depends(_page_admin)]


async def error_page(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The HTML page for an error on a browser request, showing who is signed in (the page
    may be rendered outside a page route, for an unknown address). Identifying is read-only
    here and never raises: the error being shown matters more."""
    if status < 500 and request.method in SAFE_METHODS:
        with contextlib.suppress(Exception):
            await who_is_asking(request, browser=True)
    return render_error_page(request, status=status, title=title, detail=detail, headers=headers)


@dataclass(frozen=True, slots=True)
class Client:
    ip: str | None
    user_agent: str | None


async def _client(request: Request) -> Client:
    return Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


async def _mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


async def _rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


async def _job_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.jobs
    return queue


async def _site_url(request: Request, settings: SettingsDep) -> str:
    return site_url(settings, request)


async def _session_cookie(request: Request, settings: SettingsDep) -> str | None:
    return request.cookies.get(settings.session_cookie_name)


ClientDep = Annotated[Client, Depends(_client)]
SessionCookieDep = Annotated[str | None, Depends(_session_cookie)]
HasherDep = Annotated[PasswordHasher, Depends(_hasher)]
MailerDep = Annotated[Mailer, Depends(_mailer)]
RateLimiterDep = Annotated[RateLimiter, Depends(_rate_limiter)]
JobQueueDep = Annotated[JobQueue, Depends(_job_queue)]
# Where links to the site start (mails, invites): see ``http.hosts.site_url``.
SiteUrlDep = Annotated[str, Depends(_site_url)]

# What a route's dependencies say about the errors it may answer (see ``http.openapi``).
ROUTE_ERRORS = DependencyErrors(
    reads_credentials=frozenset({_optional_actor, read_viewer}),
    requires_sign_in=frozenset({_current_actor}),
    admin_only=frozenset({_admin_actor}),
    uses_database=frozenset({request_session, database_of, read_viewer}),
    rate_limited=frozenset({_rate_limiter}),
)
