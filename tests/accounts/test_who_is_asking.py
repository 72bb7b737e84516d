"""One answer to "who is asking" for the API and the pages: worked out once per request, by
bearer token or session cookie for the API and by the cookie alone for pages."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts import auth
from recipevault.accounts.auth import Identity, who_is_asking
from recipevault.config import Settings
from recipevault.errors import Unauthorized
from tests.support.database import statements_run
from tests.support.world import bearer, make_user, sign_in


def _request(app: FastAPI, headers: dict[str, str], cookies: dict[str, str]) -> Request:
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    if cookie:
        raw.append((b"cookie", cookie.encode()))
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": raw,
            "app": app,
            "query_string": b"",
        }
    )


async def test_asked_twice_a_request_is_identified_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    engine: AsyncEngine,
) -> None:
    user = await make_user(session, settings)
    request = _request(app, bearer(user, settings, session), {})
    with statements_run(engine) as statements:
        first = await who_is_asking(request, session=session)
        read = len(statements)
        again = await who_is_asking(request, session=session)
    assert isinstance(first, Identity)
    assert again is first
    assert (first.user_id, first.actor.via, first.csrf_token) == (user.id, "jwt", None)
    assert read > 0
    assert len(statements) == read


async def test_nobody_costs_no_read(
    app: FastAPI, session: AsyncSession, engine: AsyncEngine
) -> None:
    with statements_run(engine) as statements:
        assert await who_is_asking(_request(app, {}, {}), session=session) is None
    assert statements == []


async def test_pages_know_browsers_by_their_session_alone(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = bearer(user, settings, session)
    assert await who_is_asking(_request(app, headers, {}), session=session, browser=True) is None
    api = await who_is_asking(_request(app, headers, {}), session=session)
    assert api is not None
    assert api.user_id == user.id


async def test_a_bad_token_is_refused_whoever_asks(app: FastAPI, session: AsyncSession) -> None:
    request = _request(app, {"Authorization": "Bearer not-a-token"}, {})
    with pytest.raises(Unauthorized):
        await who_is_asking(request, session=session)


async def test_the_session_cookie_names_the_same_person_to_the_api_and_the_pages(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    user = await make_user(session, settings)
    csrf = await sign_in(client, user.email)
    cookies = dict(client.cookies.items())
    page = await who_is_asking(_request(app, {}, cookies), browser=True)
    api = await who_is_asking(_request(app, {}, cookies))
    assert page is not None
    assert api is not None
    assert (page.user_id, page.csrf_token, page.actor.via) == (user.id, csrf, "session")
    assert (api.user_id, api.csrf_token) == (user.id, csrf)


async def test_no_actor_is_made_without_the_households_it_belongs_to(
    session: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memberships are the households feature's, named to ``accounts.auth`` when it is
    imported: without them an actor would silently belong to no household, so none is made."""
    user = await make_user(session, settings)
    monkeypatch.setattr(auth, "_households_of", [])
    with pytest.raises(RuntimeError, match="households"):
        await auth.actor_for_job(session, user.id)
