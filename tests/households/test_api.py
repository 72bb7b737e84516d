"""/api/v1/households: membership, invitations and ownership."""

from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from tests.support.world import HeadersFor, World, bearer, make_user

BASE = "/api/v1/households"


async def test_everyone_has_a_personal_household(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
) -> None:
    listed = (await client.get(BASE, headers=as_("outsider"))).json()
    assert len(listed) == 1
    assert listed[0]["is_personal"] is True
    assert listed[0]["role"] == "owner"


async def test_create_rename_and_read(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    created = await client.post(BASE, json={"name": "Cabin"}, headers=as_("outsider"))
    assert created.status_code == 201
    household_id = created.json()["id"]
    assert created.headers["location"] == f"{BASE}/{household_id}"
    renamed = await client.patch(
        f"{BASE}/{household_id}", json={"name": "Lake Cabin"}, headers=as_("outsider")
    )
    assert renamed.json()["name"] == "Lake Cabin"
    detail = (await client.get(f"{BASE}/{household_id}", headers=as_("outsider"))).json()
    assert [m["role"] for m in detail["members"]] == ["owner"]


async def test_non_members_get_404_members_cannot_manage(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
) -> None:
    url = f"{BASE}/{world.household.id}"
    assert (await client.get(url, headers=as_("outsider"))).status_code == 404
    assert (await client.get(url, headers=as_("member"))).status_code == 200
    assert (await client.get(url, headers=as_("admin"))).status_code == 200
    rename = await client.patch(url, json={"name": "Mine"}, headers=as_("member"))
    assert rename.status_code == 403


async def test_invite_and_join_by_code(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    invite = await client.post(
        f"{BASE}/{world.household.id}/invites", json={}, headers=as_("owner")
    )
    assert invite.status_code == 201
    body = invite.json()
    assert body["url"].endswith(body["code"])
    joined = await client.post(
        f"{BASE}/join", json={"code": body["code"].lower()}, headers=as_("outsider")
    )
    assert joined.status_code == 200
    assert joined.json()["role"] == "member"
    assert joined.json()["member_count"] == 3
    again = await client.post(f"{BASE}/join", json={"code": body["code"]}, headers=as_("outsider"))
    assert again.status_code == 409
    invites = (
        await client.get(f"{BASE}/{world.household.id}/invites", headers=as_("owner"))
    ).json()
    assert invites[0]["uses"] == 1
    assert "code" not in invites[0]


async def test_invites_expire_and_can_be_revoked(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
) -> None:
    with time_machine.travel(utcnow(), tick=False) as clock:
        code = (
            await client.post(
                f"{BASE}/{world.household.id}/invites",
                json={"expires_in_days": 1},
                headers=as_("owner"),
            )
        ).json()["code"]
        clock.shift(timedelta(days=1, seconds=1))
        expired = await client.post(f"{BASE}/join", json={"code": code}, headers=as_("outsider"))
        assert expired.status_code == 404
        assert "expired" in expired.json()["detail"]

    created = await client.post(
        f"{BASE}/{world.household.id}/invites", json={}, headers=as_("owner")
    )
    revoke = await client.delete(
        f"{BASE}/{world.household.id}/invites/{created.json()['id']}", headers=as_("owner")
    )
    assert revoke.status_code == 204
    refused = await client.post(
        f"{BASE}/join", json={"code": created.json()["code"]}, headers=as_("outsider")
    )
    assert refused.status_code == 404


async def test_only_owner_invites_and_removes(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    url = f"{BASE}/{world.household.id}"
    assert (await client.post(f"{url}/invites", json={}, headers=as_("member"))).status_code == 403
    removed = await client.delete(f"{url}/members/{world.owner.id}", headers=as_("member"))
    assert removed.status_code == 403
    ok = await client.delete(f"{url}/members/{world.member.id}", headers=as_("owner"))
    assert ok.status_code == 204
    assert (await client.get(url, headers=as_("member"))).status_code == 404


async def test_owner_must_transfer_before_leaving(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
) -> None:
    url = f"{BASE}/{world.household.id}"
    refused = await client.post(f"{url}/leave", headers=as_("owner"))
    assert refused.status_code == 409
    assert "Transfer ownership" in refused.json()["detail"]

    transferred = await client.post(
        f"{url}/transfer", json={"user_id": world.member.id}, headers=as_("owner")
    )
    assert transferred.status_code == 200
    assert transferred.json()["role"] == "member"
    assert (await client.post(f"{url}/leave", headers=as_("owner"))).status_code == 204
    detail = (await client.get(url, headers=as_("member"))).json()
    assert [(m["user_id"], m["role"]) for m in detail["members"]] == [(world.member.id, "owner")]


async def test_cannot_leave_only_household(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    personal = (await client.get(BASE, headers=as_("outsider"))).json()[0]["id"]
    response = await client.post(f"{BASE}/{personal}/leave", headers=as_("outsider"))
    assert response.status_code == 409


async def test_member_can_leave(client: httpx.AsyncClient, world: World, as_: HeadersFor) -> None:
    url = f"{BASE}/{world.household.id}"
    assert (await client.post(f"{url}/leave", headers=as_("member"))).status_code == 204
    assert (await client.get(url, headers=as_("member"))).status_code == 404


async def test_last_member_leaving_removes_the_household(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = bearer(user, settings, session)
    created = (await client.post(BASE, json={"name": "Temp"}, headers=headers)).json()
    assert (await client.post(f"{BASE}/{created['id']}/leave", headers=headers)).status_code == 204
    assert [h["name"] for h in (await client.get(BASE, headers=headers)).json()] != ["Temp"]
    assert len((await client.get(BASE, headers=headers)).json()) == 1
