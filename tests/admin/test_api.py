"""/api/v1/admin: the user directory, roles, deactivation, unlocking, settings, audit log."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from tests.support.world import PASSWORD, World, bearer

BASE = "/api/v1/admin"


@pytest.fixture
def admin(session: AsyncSession, settings: Settings, world: World) -> dict[str, str]:
    return bearer(world.admin, settings, session)


async def test_members_cannot_use_admin_api(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    response = await client.get(f"{BASE}/users", headers=bearer(world.member, settings, session))
    assert response.status_code == 403


async def test_list_and_search_users_with_keyset_paging(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    first = (await client.get(f"{BASE}/users", params={"limit": 2}, headers=admin)).json()
    assert len(first["items"]) == 2
    second = (
        await client.get(
            f"{BASE}/users", params={"limit": 2, "cursor": first["next"]}, headers=admin
        )
    ).json()
    ids = [u["id"] for u in first["items"] + second["items"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert second["next"] is None
    found = (await client.get(f"{BASE}/users", params={"q": "olive"}, headers=admin)).json()
    assert [u["id"] for u in found["items"]] == [world.owner.id]
    wildcard = (await client.get(f"{BASE}/users", params={"q": "%"}, headers=admin)).json()
    assert wildcard["items"] == []


async def test_malformed_cursor_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for cursor in ("!!!", "eyJ4IjoxfQ", "eyJpZCI6ImEifQ"):
        response = await client.get(f"{BASE}/users", params={"cursor": cursor}, headers=admin)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"


async def test_role_change_and_last_admin_guard(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    promoted = await client.patch(
        f"{BASE}/users/{world.member.id}", json={"role": "admin"}, headers=admin
    )
    assert promoted.json()["role"] == "admin"
    demote_self = await client.patch(
        f"{BASE}/users/{world.admin.id}", json={"role": "member"}, headers=admin
    )
    assert demote_self.status_code == 200  # another admin exists now
    response = await client.patch(
        f"{BASE}/users/{world.member.id}",
        json={"is_active": False},
        headers=admin,
    )
    # The caller's access token was issued to an admin who is no longer one.
    assert response.status_code == 403


async def test_last_admin_cannot_be_removed(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    response = await client.patch(
        f"{BASE}/users/{world.admin.id}", json={"is_active": False}, headers=admin
    )
    assert response.status_code == 409


async def test_an_admin_cannot_deactivate_themselves(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    promoted = await client.patch(
        f"{BASE}/users/{world.member.id}", json={"role": "admin"}, headers=admin
    )
    assert promoted.status_code == 200
    # Another admin could let them back in, but a slip should not need one to.
    response = await client.patch(
        f"{BASE}/users/{world.admin.id}", json={"is_active": False}, headers=admin
    )
    assert response.status_code == 409
    assert "your own account" in response.json()["detail"]
    assert (await client.get("/api/v1/users/me", headers=admin)).status_code == 200


async def test_deactivation_revokes_access(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    admin: dict[str, str],
) -> None:
    member = bearer(world.member, settings, session)
    assert (await client.get("/api/v1/users/me", headers=member)).status_code == 200
    response = await client.patch(
        f"{BASE}/users/{world.member.id}", json={"is_active": False}, headers=admin
    )
    assert response.json()["is_active"] is False
    assert (await client.get("/api/v1/users/me", headers=member)).status_code == 401
    token = await client.post(
        "/api/v1/auth/token", data={"username": world.member.email, "password": PASSWORD}
    )
    assert token.status_code == 401
    reactivated = await client.patch(
        f"{BASE}/users/{world.member.id}", json={"is_active": True}, headers=admin
    )
    assert reactivated.json()["is_active"] is True


async def test_unlock(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    admin: dict[str, str],
) -> None:
    world.member.failed_logins = settings.lockout_threshold - 1
    await session.flush()
    locked = await client.post(
        "/api/v1/auth/token", data={"username": world.member.email, "password": "wrong password"}
    )
    assert locked.status_code == 401
    refused = await client.post(
        "/api/v1/auth/token", data={"username": world.member.email, "password": PASSWORD}
    )
    assert refused.status_code == 429
    unlocked = await client.post(f"{BASE}/users/{world.member.id}/unlock", headers=admin)
    assert unlocked.json()["locked_until"] is None
    ok = await client.post(
        "/api/v1/auth/token", data={"username": world.member.email, "password": PASSWORD}
    )
    assert ok.status_code == 200


async def test_registration_toggle(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await client.get(f"{BASE}/settings", headers=admin)).json() == {
        "registration_open": True
    }
    closed = await client.put(f"{BASE}/settings", json={"registration_open": False}, headers=admin)
    assert closed.json() == {"registration_open": False}
    assert (await client.get(f"{BASE}/settings", headers=admin)).json() == {
        "registration_open": False
    }


async def test_audit_log_records_admin_and_auth_events(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    await client.post(
        "/api/v1/auth/token",
        data={"username": world.member.email, "password": "wrong password"},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    await client.post(
        "/api/v1/auth/token", data={"username": world.member.email, "password": PASSWORD}
    )
    await client.patch(f"{BASE}/users/{world.outsider.id}", json={"role": "admin"}, headers=admin)
    await client.put(f"{BASE}/settings", json={"registration_open": False}, headers=admin)
    refresh = (
        await client.post(
            "/api/v1/auth/token", data={"username": world.owner.email, "password": PASSWORD}
        )
    ).json()["refresh_token"]
    await client.post("/api/v1/auth/logout", json={"refresh_token": refresh})

    events = (await client.get(f"{BASE}/audit", params={"limit": 100}, headers=admin)).json()[
        "items"
    ]
    actions = [e["action"] for e in events]
    for expected in (
        "auth.logout",
        "auth.login_failed",
        "auth.login",
        "admin.role_changed",
        "admin.registration_closed",
        "user.registered",
    ):
        assert expected in actions
    role_change = next(e for e in events if e["action"] == "admin.role_changed")
    assert role_change["actor_id"] == world.admin.id
    assert role_change["target_id"] == str(world.outsider.id)
    assert role_change["ip"] == "127.0.0.1"
    assert events == sorted(events, key=lambda e: e["id"], reverse=True)
    filtered = (
        await client.get(f"{BASE}/audit", params={"action": "auth.login"}, headers=admin)
    ).json()["items"]
    assert {e["action"] for e in filtered} == {"auth.login"}
