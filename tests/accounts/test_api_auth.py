"""/api/v1/auth: registration, tokens, refresh rotation, browser sessions and CSRF."""

from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from tests.support.world import PASSWORD, make_user, sign_in

REGISTER = "/api/v1/auth/register"


async def _register(client: httpx.AsyncClient, email: str = "new@example.org") -> httpx.Response:
    return await client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "New Cook"}
    )


async def _token(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


async def test_register_returns_201_with_the_user(client: httpx.AsyncClient) -> None:
    response = await _register(client, email="  New@Example.ORG ")
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/users/me"
    body = response.json()
    assert body["email"] == "new@example.org"
    assert body["role"] == "admin"  # the first account on the site
    assert "password" not in response.text


async def test_register_refused_when_closed(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await make_user(session, settings)
    token = (await _token(client, admin.email)).json()["access_token"]
    closed = await client.put(
        "/api/v1/admin/settings",
        json={"registration_open": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert closed.status_code == 200
    response = await _register(client)
    assert response.status_code == 403
    assert response.json()["type"].endswith("registration-closed")


async def test_register_says_which_password_rule_failed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"email": "a@example.org", "password": "qwertyuiop", "display_name": "A"}
    )
    assert response.status_code == 422
    assert "most common passwords" in response.json()["detail"]


async def test_token_grant_returns_a_bearer_pair(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    response = await _token(client, user.email)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_minutes * 60
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["id"] == user.id


async def test_wrong_credentials_same_401_whether_email_exists(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    wrong = await _token(client, user.email, "not the password")
    unknown = await _token(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_access_token_expires_after_15_minutes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    with time_machine.travel(utcnow(), tick=False) as clock:
        access = (await _token(client, user.email)).json()["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        clock.shift(timedelta(minutes=14, seconds=59))
        assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
        clock.shift(timedelta(seconds=1))
        expired = await client.get("/api/v1/users/me", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"].startswith("Bearer")


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    first = (await _token(client, user.email)).json()["refresh_token"]
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first

    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    assert "already used" in reused.json()["detail"]
    # The thief's reuse also ended the legitimate client's newer token.
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401


async def test_refresh_token_expires(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    with time_machine.travel(utcnow(), tick=False) as clock:
        refresh = (await _token(client, user.email)).json()["refresh_token"]
        clock.shift(timedelta(days=settings.refresh_token_days, seconds=1))
        response = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert response.status_code == 401


async def test_logout_revokes_the_refresh_family(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    refresh = (await _token(client, user.email)).json()["refresh_token"]
    assert (
        await client.post("/api/v1/auth/logout", json={"refresh_token": refresh})
    ).status_code == 204
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert response.status_code == 401


async def test_browser_session_cookie_flags_and_csrf(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    response = await client.post(
        "/api/v1/auth/session", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{settings.session_cookie_name}=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert flag.lower() in cookie.lower()
    csrf = response.json()["csrf_token"]

    assert (await client.get("/api/v1/users/me")).status_code == 200
    refused = await client.patch("/api/v1/users/me", json={"display_name": "Renamed"})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("csrf")
    wrong = await client.patch(
        "/api/v1/users/me", json={"display_name": "Renamed"}, headers={"X-CSRF-Token": "nope"}
    )
    assert wrong.status_code == 403
    allowed = await client.patch(
        "/api/v1/users/me", json={"display_name": "Renamed"}, headers={"X-CSRF-Token": csrf}
    )
    assert allowed.status_code == 200
    assert allowed.json()["display_name"] == "Renamed"


async def test_csrf_token_accepted_as_form_field(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    csrf = await sign_in(client, user.email)
    response = await client.post(
        "/api/v1/households/join", data={"csrf_token": csrf, "code": "AAAA-BBBB-CCCC"}
    )
    # Past the CSRF check; the JSON body is what this route wants, so the form is invalid.
    assert response.status_code == 422


async def test_bearer_requests_need_no_csrf(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    access = (await _token(client, user.email)).json()["access_token"]
    response = await client.patch(
        "/api/v1/users/me",
        json={"unit_system": "us"},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert response.status_code == 200
    assert response.json()["unit_system"] == "us"


async def test_session_rotates_at_login_and_ends_at_logout(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    await sign_in(client, user.email)
    first = client.cookies[settings.session_cookie_name]
    csrf = await sign_in(client, user.email)
    second = client.cookies[settings.session_cookie_name]
    assert first != second
    # The old id no longer works.
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as old:
        old.cookies.set(settings.session_cookie_name, first)
        assert (await old.get("/api/v1/users/me")).status_code == 401

    info = await client.get("/api/v1/auth/session")
    assert info.json()["csrf_token"] == csrf
    assert (
        await client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    ).status_code == 204
    client.cookies.set(settings.session_cookie_name, second)
    assert (await client.get("/api/v1/users/me")).status_code == 401


async def test_session_idle_and_absolute_expiry(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    with time_machine.travel(utcnow(), tick=False) as clock:
        await sign_in(client, user.email)
        clock.shift(timedelta(minutes=settings.session_idle_minutes - 1))
        assert (await client.get("/api/v1/users/me")).status_code == 200  # and marks activity
        clock.shift(timedelta(minutes=settings.session_idle_minutes - 1))
        assert (await client.get("/api/v1/users/me")).status_code == 200
        clock.shift(timedelta(minutes=settings.session_idle_minutes + 1))
        assert (await client.get("/api/v1/users/me")).status_code == 401

        await sign_in(client, user.email)
        for _ in range(settings.session_max_age_days):
            clock.shift(timedelta(days=1))
            last = await client.get("/api/v1/users/me")
        assert last.status_code == 401


async def test_login_rate_limited_per_account_with_retry_after(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    allowed = int(settings.rate_limit_login_per_account.split("/")[0])
    for _ in range(allowed):
        assert (await _token(client, user.email, "not the password")).status_code == 401
    limited = await _token(client, user.email, PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    # Unknown accounts are limited the same way, so the 429 reveals nothing.
    for _ in range(allowed):
        await _token(client, "ghost@example.org", "not the password")
    assert (await _token(client, "ghost@example.org", "x")).status_code == 429
