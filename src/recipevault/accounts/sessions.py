"""Browser sessions: an opaque id in an HttpOnly cookie, a server-side record, and a CSRF
token bound to it that every unsafe cookie-authenticated request must echo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.credentials import hash_secret
from recipevault.accounts.models import BrowserSession, User
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.errors import NotFound
from recipevault.http.signing import new_secret


@dataclass(frozen=True, slots=True)
class OpenedSession:
    cookie_value: str
    record: BrowserSession


async def open_session(
    session: AsyncSession,
    *,
    user: User,
    settings: Settings,
    ip: str | None,
    user_agent: str | None,
    replaces: str | None = None,
) -> OpenedSession:
    """A fresh session id at every sign-in (the old one, if any, is dropped: no fixation)."""
    if replaces:
        await close_session(session, cookie_value=replaces)
    now = utcnow()
    cookie_value = new_secret()
    record = BrowserSession(
        user_id=user.id,
        token_hash=hash_secret(cookie_value),
        csrf_token=new_secret(),
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.session_max_age_days),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(record)
    await session.flush()
    return OpenedSession(cookie_value=cookie_value, record=record)


class SessionNotFound(NotFound):
    title = "Session not found"


async def get_session(session: AsyncSession, session_id: int) -> BrowserSession:
    record = await session.get(BrowserSession, session_id)
    if record is None:
        raise SessionNotFound()
    return record


async def delete_session(session: AsyncSession, session_id: int, *, ip: str | None) -> None:
    record = await get_session(session, session_id)
    audit.record(
        session,
        action="auth.logout",
        actor_id=record.user_id,
        ip=ip,
        target_type="user",
        target_id=record.user_id,
    )
    await session.delete(record)


async def close_session(session: AsyncSession, *, cookie_value: str) -> None:
    await session.execute(
        delete(BrowserSession).where(BrowserSession.token_hash == hash_secret(cookie_value))
    )
