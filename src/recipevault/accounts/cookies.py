"""The browser session cookie, set and cleared the same way by the API and the pages, and
signing a browser in, which sets it."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts.models import User
from recipevault.config import Settings
from recipevault.deps import Client


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        settings.session_cookie_name,
        value,
        max_age=settings.session_max_age_days * 86400,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


async def sign_in_browser(
    response: Response,
    session: AsyncSession,
    user: User,
    *,
    settings: Settings,
    client: Client,
    replaces: str | None,
) -> browser_sessions.OpenedSession:
    """Open a browser session for ``user`` and set its cookie on ``response``: a new session
    id at every sign-in, and the one the browser had (``replaces``, its cookie) ends."""
    opened = await browser_sessions.open_session(
        session,
        user=user,
        settings=settings,
        ip=client.ip,
        user_agent=client.user_agent,
        replaces=replaces,
    )
    set_session_cookie(response, settings, opened.cookie_value)
    return opened
