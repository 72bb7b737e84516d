"""The admin pages: overview and registration switch, the user directory, the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault import site_settings
from recipevault.accounts.models import Role
from recipevault.admin import pages
from recipevault.clock import utcnow
from recipevault.config import Settings
from tests.support.html import field_error, flashes
from tests.support.world import World, make_user, sign_in

XSS = '<script>alert("x")</script>'
PAGES = ("/admin", "/admin/users", "/admin/audit")


@pytest.fixture
async def token(client: httpx.AsyncClient, world: World) -> str:
    """Signed in as the admin."""
    return await sign_in(client, world.admin.email)


def _row(page: str, user_id: int) -> str:
    """The users table's row of one person."""
    found = re.search(
        rf'<tr>\s*<th scope="row">(?:(?!</tr>).)*?/admin/users/{user_id}/role".*?</tr>',
        page,
        re.S,
    )
    assert found, f"no row for user {user_id}"
    return found.group(0)


# --- Who may look -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_visitors_sign_in_and_members_get_the_403_page(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    visitor = await client.get(path)
    assert visitor.status_code == 303
    assert visitor.headers["location"].startswith("/login?next=")
    for person in (world.owner, world.member):
        client.cookies.clear()
        await sign_in(client, person.email)
        refused = await client.get(path)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "Only site admins can see this page." in refused.text


async def test_members_cannot_post_admin_forms(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    member_token = await sign_in(client, world.member.email)
    for path, data in (
        ("/admin/registration", {"registration_open": "false"}),
        (f"/admin/users/{world.member.id}/role", {"role": "admin"}),
        (f"/admin/users/{world.outsider.id}/active", {"is_active": "false"}),
        (f"/admin/users/{world.outsider.id}/unlock", {}),
    ):
        response = await client.post(path, data={"csrf_token": member_token, **data})
        assert response.status_code == 403, path
    await session.refresh(world.member)
    assert world.member.role == Role.MEMBER
    assert await site_settings.registration_open(session, settings=settings)


async def test_admin_forms_need_the_csrf_token(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    for path, data in (
        ("/admin/registration", {"registration_open": "false"}),
        (f"/admin/users/{world.member.id}/role", {"role": "admin"}),
        (f"/admin/users/{world.outsider.id}/active", {"is_active": "false"}),
        (f"/admin/users/{world.outsider.id}/unlock", {}),
    ):
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
        assert "reload the page" in response.text
    await session.refresh(world.outsider)
    assert world.outsider.is_active


# --- Overview and registration ----------------------------------------------------------------


async def test_overview_counts_and_the_registration_switch(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, token: str
) -> None:
    page = await client.get("/admin")
    assert page.status_code == 200
    assert "4 accounts,\n      1 admin,\n      0 deactivated." in page.text
    assert '<a href="/admin" aria-current="page">Overview</a>' in page.text
    assert 'name="registration_open" value="false"' in page.text

    closed = await client.post(
        "/admin/registration", data={"csrf_token": token, "registration_open": "false"}
    )
    assert closed.status_code == 303
    page = await client.get("/admin")
    assert flashes(page.text) == ["Registration is closed."]
    assert "Open registration" in page.text
    assert not await site_settings.registration_open(session, settings=settings)

    opened = await client.post(
        "/admin/registration", data={"csrf_token": token, "registration_open": "true"}
    )
    assert opened.status_code == 303
    assert flashes((await client.get("/admin")).text) == ["Anyone can now register."]
    assert await site_settings.registration_open(session, settings=settings)


# --- Users ------------------------------------------------------------------------------------


async def test_users_are_searched_and_paged_by_keyset(
    client: httpx.AsyncClient, world: World, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = await client.get("/admin/users", params={"q": "OLIVE"})
    assert found.status_code == 200
    assert "Olive Owner" in found.text
    assert "Milo Member" not in found.text
    assert 'value="OLIVE"' in found.text
    nobody = await client.get("/admin/users", params={"q": "%"})
    assert "Nobody\u2019s name or email contains \u201c%\u201d." in nobody.text

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    first = await client.get("/admin/users")
    assert [m for m in ("Ada Admin", "Olive Owner", "Milo Member") if m in first.text] == [
        "Ada Admin",
        "Olive Owner",
        "Milo Member",
    ]
    more = re.search(r'href="(/admin/users\?cursor=[\w-]+)" rel="next"', first.text)
    assert more, first.text
    second = await client.get(more.group(1))
    assert "Oscar Outsider" in second.text
    assert "Olive Owner" not in second.text
    assert 'rel="next"' not in second.text

    bad = await client.get("/admin/users", params={"cursor": "!!!"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")


async def test_role_change_keeps_the_listing(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    response = await client.post(
        f"/admin/users/{world.member.id}/role",
        data={"csrf_token": token, "role": "admin", "q": "milo", "cursor": ""},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?q=milo"
    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["Milo Member is now an admin."]
    assert '<option value="admin" selected>' in _row(page.text, world.member.id)
    await session.refresh(world.member)
    assert world.member.role == Role.ADMIN


async def test_role_refusals_are_shown_in_the_row(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    invalid = await client.post(
        f"/admin/users/{world.member.id}/role", data={"csrf_token": token, "role": "owner"}
    )
    assert invalid.status_code == 400
    assert field_error(invalid.text, f"user-{world.member.id}") == "Choose one of the options."
    assert 'aria-invalid="true"' in _row(invalid.text, world.member.id)

    last = await client.post(
        f"/admin/users/{world.admin.id}/role", data={"csrf_token": token, "role": "member"}
    )
    assert last.status_code == 400
    assert field_error(last.text, f"user-{world.admin.id}") == (
        "This is the last active admin; make someone else an admin first."
    )
    # The refused choice is kept in the row, as typed input is in other forms.
    assert '<option value="member" selected>' in _row(last.text, world.admin.id)
    await session.refresh(world.admin)
    assert world.admin.role == Role.ADMIN


async def test_deactivate_and_reactivate(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    page = await client.get("/admin/users")
    assert f'action="/admin/users/{world.admin.id}/active"' not in page.text  # not oneself
    off = await client.post(
        f"/admin/users/{world.outsider.id}/active", data={"csrf_token": token, "is_active": "false"}
    )
    assert off.status_code == 303
    page = await client.get("/admin/users")
    assert flashes(page.text) == ["Oscar Outsider is deactivated and signed out everywhere."]
    row = _row(page.text, world.outsider.id)
    assert "Deactivated" in row
    assert "Reactivate" in row
    await session.refresh(world.outsider)
    assert not world.outsider.is_active

    on = await client.post(
        f"/admin/users/{world.outsider.id}/active", data={"csrf_token": token, "is_active": "true"}
    )
    assert on.status_code == 303
    assert flashes((await client.get("/admin/users")).text) == ["Oscar Outsider can sign in again."]
    await session.refresh(world.outsider)
    assert world.outsider.is_active
    assert (
        await client.post("/admin/users/999999/active", data={"csrf_token": token})
    ).status_code == 404


async def test_unlock_a_locked_account(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    world.member.failed_logins = 10
    world.member.locked_until = utcnow() + timedelta(minutes=15)
    await session.flush()
    page = await client.get("/admin/users")
    row = _row(page.text, world.member.id)
    assert "Locked until" in row
    assert f'action="/admin/users/{world.member.id}/unlock"' in row
    assert "/unlock" not in _row(page.text, world.owner.id)

    unlocked = await client.post(
        f"/admin/users/{world.member.id}/unlock", data={"csrf_token": token}
    )
    assert unlocked.status_code == 303
    page = await client.get("/admin/users")
    assert flashes(page.text) == ["Milo Member can try to sign in again."]
    assert "Locked until" not in _row(page.text, world.member.id)
    member = world.member  # read again below, as the unlock left it
    await session.refresh(member)
    assert (member.failed_logins, member.locked_until) == (0, None)


# --- Audit log --------------------------------------------------------------------------------


async def test_audit_log_newest_first_filtered_and_paged(
    client: httpx.AsyncClient, world: World, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.post(
        f"/admin/users/{world.member.id}/role", data={"csrf_token": token, "role": "admin"}
    )
    page = await client.get("/admin/audit")
    assert page.status_code == 200
    actions = re.findall(r"<td><code>([\w.]+)</code></td>", page.text)
    assert actions[0] == "admin.role_changed"
    assert actions[-1] == "user.registered"
    assert '<option value="household.created">household.created</option>' in page.text
    assert f'<a href="/admin/audit?actor={world.admin.id}">Ada Admin</a>' in page.text
    assert "from: member; to: admin" in page.text

    only = await client.get("/admin/audit", params={"action": "household.created"})
    assert re.findall(r"<td><code>([\w.]+)</code></td>", only.text) == ["household.created"]
    assert '<option value="household.created" selected>' in only.text
    assert f'<a href="/households/{world.household.id}">' in only.text

    mine = await client.get("/admin/audit", params={"actor": str(world.owner.id)})
    assert "Only what" in mine.text
    assert set(re.findall(r"<td><code>([\w.]+)</code></td>", mine.text)) == {
        "user.registered",
        "household.created",
    }

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    first = await client.get("/admin/audit")
    more = re.search(r'href="(/admin/audit\?cursor=[\w-]+)" rel="next"', first.text)
    assert more
    second = await client.get(more.group(1))
    assert len(re.findall(r"<td><code>", second.text)) == 2
    assert re.findall(r"<td><code>([\w.]+)</code></td>", first.text)[0] == "admin.role_changed"


async def test_names_are_escaped_on_admin_pages(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, token: str
) -> None:
    person = await make_user(session, settings, name=XSS)
    await session.flush()
    for path in ("/admin/users", f"/admin/audit?actor={person.id}"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "<script>alert" not in page.text, path
        assert "&lt;script&gt;alert(" in page.text, path
    changed = await client.post(
        f"/admin/users/{person.id}/role", data={"csrf_token": token, "role": "admin"}
    )
    page = await client.get(changed.headers["location"])
    assert "<script>alert" not in page.text
    assert flashes(page.text) == [f"{XSS} is now an admin."]
