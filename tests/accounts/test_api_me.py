"""/api/v1/users/me: profile, password change and personal API tokens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from tests.support.world import PASSWORD, make_user, sign_in

NEW_PASSWORD = "a much better passphrase"


async def _pair(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_read_and_update_profile(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings, name="Sam")
    headers = _auth((await _pair(client, user.email))["access_token"])
    me = await client.get("/api/v1/users/me", headers=headers)
    assert me.json()["display_name"] == "Sam"
    # Recipes read as written until a person chooses a unit system.
    assert me.json()["unit_system"] == "original"
    updated = await client.patch(
        "/api/v1/users/me", json={"display_name": "Samira", "unit_system": "us"}, headers=headers
    )
    assert updated.status_code == 200
    assert updated.json()["display_name"] == "Samira"
    assert updated.json()["unit_system"] == "us"
    back = await client.patch("/api/v1/users/me", json={"unit_system": "original"}, headers=headers)
    assert back.status_code == 200
    assert back.json()["unit_system"] == "original"


async def test_update_rejects_unknown_fields_and_role_changes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = _auth((await _pair(client, user.email))["access_token"])
    response = await client.patch("/api/v1/users/me", json={"role": "admin"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"


async def test_password_change_revokes_other_sessions_and_tokens(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: object
) -> None:
    user = await make_user(session, settings)
    pair = await _pair(client, user.email)
    transport = client._transport  # a second browser on the same app
    async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as other:
        await sign_in(other, user.email)
        assert (await other.get("/api/v1/users/me")).status_code == 200

        csrf = await sign_in(client, user.email)
        changed = await client.post(
            "/api/v1/users/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers={"X-CSRF-Token": csrf},
        )
        assert changed.status_code == 204
        # This browser carries on with a fresh session; the other one is signed out.
        assert (await client.get("/api/v1/users/me")).status_code == 200
        assert (await other.get("/api/v1/users/me")).status_code == 401
    assert (
        await client.get("/api/v1/users/me", headers=_auth(pair["access_token"]))
    ).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 401
    assert (await _pair(client, user.email, NEW_PASSWORD))["access_token"]


async def test_password_change_needs_the_current_password(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = _auth((await _pair(client, user.email))["access_token"])
    response = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": "wrong password", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 403


async def test_personal_api_token_lifecycle_and_scopes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = _auth((await _pair(client, user.email))["access_token"])
    created = await client.post(
        "/api/v1/users/me/tokens", json={"name": "Phone", "scopes": ["read"]}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    assert secret.startswith("rvp_")
    assert body["scopes"] == ["read"]

    listed = (await client.get("/api/v1/users/me/tokens", headers=headers)).json()
    assert [t["name"] for t in listed] == ["Phone"]
    assert "token" not in listed[0]
    assert secret not in str(listed)

    read_only = _auth(secret)
    assert (await client.get("/api/v1/users/me", headers=read_only)).status_code == 200
    write = await client.patch("/api/v1/users/me", json={"display_name": "X"}, headers=read_only)
    assert write.status_code == 403
    assert "read" in write.json()["detail"]

    writer = await client.post(
        "/api/v1/users/me/tokens",
        json={"name": "Script", "scopes": ["read", "write"]},
        headers=headers,
    )
    write_headers = _auth(writer.json()["token"])
    ok = await client.patch("/api/v1/users/me", json={"display_name": "X"}, headers=write_headers)
    assert ok.status_code == 200

    deleted = await client.delete(f"/api/v1/users/me/tokens/{body['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get("/api/v1/users/me", headers=read_only)).status_code == 401


async def test_api_token_expiry(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    with time_machine.travel(utcnow(), tick=False) as clock:
        headers = _auth((await _pair(client, user.email))["access_token"])
        expires = (utcnow() + timedelta(days=1)).isoformat()
        created = await client.post(
            "/api/v1/users/me/tokens", json={"name": "Day", "expires_at": expires}, headers=headers
        )
        token = _auth(created.json()["token"])
        assert (await client.get("/api/v1/users/me", headers=token)).status_code == 200
        clock.shift(timedelta(days=1, seconds=1))
        assert (await client.get("/api/v1/users/me", headers=token)).status_code == 401


async def test_token_in_the_past_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = _auth((await _pair(client, user.email))["access_token"])
    past = (utcnow() - timedelta(days=1)).isoformat()
    response = await client.post(
        "/api/v1/users/me/tokens", json={"name": "Old", "expires_at": past}, headers=headers
    )
    assert response.status_code == 422


async def test_other_peoples_tokens_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    alice = await make_user(session, settings)
    bob = await make_user(session, settings)
    alice_headers = _auth((await _pair(client, alice.email))["access_token"])
    bob_headers = _auth((await _pair(client, bob.email))["access_token"])
    token_id = (
        await client.post("/api/v1/users/me/tokens", json={"name": "A"}, headers=alice_headers)
    ).json()["id"]
    response = await client.delete(f"/api/v1/users/me/tokens/{token_id}", headers=bob_headers)
    assert response.status_code == 404
