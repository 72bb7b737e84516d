"""Who is asking is read afresh on every request, in one statement: a revoked token, an
account deactivated, a new ``auth_epoch``, a household left or a read-only scope count from
the very next request, whichever way the caller is known."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts import tokens
from recipevault.accounts.auth import Identity, who_is_asking
from recipevault.accounts.models import ApiToken, User
from recipevault.accounts.schemas import ApiTokenCreate
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.households.models import HouseholdMember
from tests.accounts.test_who_is_asking import _request
from tests.support.database import commit_test_work, statements_run
from tests.support.world import bearer, make_user, make_world, sign_in

ME = "/api/v1/users/me"
Headers = dict[str, str]


async def _api_token(
    session: AsyncSession, user: User, *scopes: str, last_used_now: bool = False
) -> tuple[int, Headers]:
    token, secret = await tokens.create_api_token(
        session, user=user, data=ApiTokenCreate(name="t", scopes=list(scopes) or ["read"]), ip=None
    )
    if last_used_now:
        token.last_used_at = utcnow()
    await session.flush()
    return token.id, {"Authorization": f"Bearer {secret}"}


Credentials = Callable[
    [httpx.AsyncClient, AsyncSession, Settings, User], Awaitable[tuple[Headers, dict[str, str]]]
]


async def _by_api_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, user: User
) -> tuple[Headers, dict[str, str]]:
    _, headers = await _api_token(session, user, last_used_now=True)
    return headers, {}


async def _by_access_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, user: User
) -> tuple[Headers, dict[str, str]]:
    return bearer(user, settings, session), {}


async def _by_cookie(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, user: User
) -> tuple[Headers, dict[str, str]]:
    await sign_in(client, user.email)
    cookies = dict(client.cookies.items())
    client.cookies.clear()
    return {}, cookies


WAYS: dict[str, Credentials] = {
    "api_token": _by_api_token,
    "access_token": _by_access_token,
    "cookie": _by_cookie,
}


@pytest.mark.parametrize("way", sorted(WAYS))
async def test_a_caller_is_known_by_one_read_and_no_write(
    way: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    engine: AsyncEngine,
) -> None:
    """The credential, the account and its households in one statement; nothing written while
    no "last used" mark is due (a session just opened, a token just used)."""
    world = await make_world(session, settings)
    headers, cookies = await WAYS[way](client, session, settings, world.member)
    await session.flush()
    await commit_test_work(app.state.database)
    with statements_run(engine) as statements:
        identity = await who_is_asking(_request(app, headers, cookies))
    assert isinstance(identity, Identity)
    assert identity.user_id == world.member.id
    assert world.household.id in identity.actor.household_ids
    assert world.household.id not in identity.actor.owned_household_ids
    assert len(statements) == 1, statements
    assert statements[0].lstrip().upper().startswith("SELECT")


async def test_a_deleted_api_token_is_refused_on_the_next_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    token_id, headers = await _api_token(session, user)
    assert (await client.get(ME, headers=headers)).status_code == 200
    await session.execute(delete(ApiToken).where(ApiToken.id == token_id))
    await session.flush()
    assert (await client.get(ME, headers=headers)).status_code == 401


async def test_an_expired_api_token_is_refused_on_the_next_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    token_id, headers = await _api_token(session, user)
    assert (await client.get(ME, headers=headers)).status_code == 200
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.flush()
    assert (await client.get(ME, headers=headers)).status_code == 401


async def test_a_deactivated_account_is_refused_on_the_next_request_every_way(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    callers = [await WAYS[way](client, session, settings, user) for way in sorted(WAYS)]
    for headers, cookies in callers:
        assert (await _get_me(client, headers, cookies)).status_code == 200
    await session.execute(update(User).where(User.id == user.id).values(is_active=False))
    await session.flush()
    for headers, cookies in callers:
        assert (await _get_me(client, headers, cookies)).status_code == 401


async def _get_me(
    client: httpx.AsyncClient, headers: Headers, cookies: dict[str, str]
) -> httpx.Response:
    client.cookies.clear()
    client.cookies.update(cookies)
    try:
        return await client.get(ME, headers=headers)
    finally:
        client.cookies.clear()


async def test_a_new_auth_epoch_refuses_older_access_tokens_on_the_next_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = bearer(user, settings, session)
    assert (await client.get(ME, headers=headers)).status_code == 200
    await session.execute(
        update(User).where(User.id == user.id).values(auth_epoch=User.auth_epoch + 1)
    )
    await session.flush()
    refused = await client.get(ME, headers=headers)
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["detail"]


async def test_a_read_only_token_may_read_and_never_write(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    _, headers = await _api_token(session, user, "read")
    for _ in range(2):
        assert (await client.get(ME, headers=headers)).status_code == 200
        refused = await client.patch(ME, json={"display_name": "Changed"}, headers=headers)
        assert refused.status_code == 403
    assert (await client.get(ME, headers=headers)).json()["display_name"] == user.display_name


async def test_leaving_a_household_counts_from_the_next_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    _, headers = await _api_token(session, world.member)
    plan: dict[str, str | int] = {
        "household_id": world.household.id,
        "start": "2026-12-07",
        "end": "2026-12-13",
    }
    assert (await client.get("/api/v1/meal-plan", params=plan, headers=headers)).status_code == 200
    await session.execute(
        delete(HouseholdMember).where(
            HouseholdMember.household_id == world.household.id,
            HouseholdMember.user_id == world.member.id,
        )
    )
    await session.flush()
    assert (await client.get("/api/v1/meal-plan", params=plan, headers=headers)).status_code == 404
