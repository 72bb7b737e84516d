"""Shared dependency aliases; routes declare these instead of ``= Depends(...)`` defaults.

Every dependency is ``async def``, even when it awaits nothing: FastAPI runs plain ``def``
dependencies in a worker thread, which costs a thread hop per dependency per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import NotAuthenticated, who_is_asking
from recipevault.accounts.passwords import PasswordHasher
from recipevault.config import Settings
from recipevault.db import Database, request_session
from recipevault.errors import Forbidden
from recipevault.hosts import site_url
from recipevault.jobs.queue import JobQueue
from recipevault.mail import Mailer
from recipevault.policy import Actor
from recipevault.ratelimit import RateLimiter


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
# "function" scope runs the commit when the route returns, before the response goes out,
# so a failed commit becomes an error response instead of a 200 for lost work.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


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
# Where links to the site start (mails, invites): see ``hosts.site_url``.
SiteUrlDep = Annotated[str, Depends(_site_url)]

# What a route's dependencies say about the errors it may answer (see openapi.py).
READS_CREDENTIALS: frozenset[Callable[..., Any]] = frozenset({_optional_actor, read_viewer})
REQUIRES_SIGN_IN: frozenset[Callable[..., Any]] = frozenset({_current_actor})
ADMIN_ONLY: frozenset[Callable[..., Any]] = frozenset({_admin_actor})
USES_DATABASE: frozenset[Callable[..., Any]] = frozenset({request_session, _database, read_viewer})
RATE_LIMITED: frozenset[Callable[..., Any]] = frozenset({_rate_limiter})
