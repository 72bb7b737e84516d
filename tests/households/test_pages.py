"""The household pages, driven as a browser without JavaScript would."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.households.models import MemberRole
from recipevault.households.service import get_household
from tests.support.html import csrf_token, field_error, flashes, form_error, input_value
from tests.support.world import World, actor_for, make_user, sign_in

XSS = '<script>alert("x")</script>'


def _url(world: World, rest: str = "") -> str:
    return f"/households/{world.household.id}{rest}"


async def _members(session: AsyncSession, world: World) -> dict[int, MemberRole]:
    _, members = await get_household(
        session, actor=await actor_for(session, world.admin), household_id=world.household.id
    )
    return {m.user_id: m.role for m in members}


async def _invite_link(client: httpx.AsyncClient, world: World, token: str, **form: str) -> str:
    response = await client.post(_url(world, "/invites"), data={"csrf_token": token, **form})
    assert response.status_code == 201, response.text[-500:]
    assert response.headers["cache-control"] == "no-store"
    found = re.search(r'<code class="secret" id="invite-link">([^<]+)</code>', response.text)
    assert found
    return html.unescape(found.group(1))


def _code(link: str) -> str:
    found = re.search(r"\?code=([\w-]+)$", link)
    assert found, link
    return found.group(1)


# --- Who sees what ----------------------------------------------------------------------------


async def test_visitors_are_sent_to_sign_in(client: httpx.AsyncClient, world: World) -> None:
    for path, back in (
        ("/households", "%2Fhouseholds"),
        (_url(world), f"%2Fhouseholds%2F{world.household.id}"),
        ("/households/join?code=ABCD-EFGH-JKMN", "%2Fhouseholds%2Fjoin%3Fcode%3DABCD-EFGH-JKMN"),
    ):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={back}"


async def test_list_shows_each_household_with_role_and_members(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.member.email)
    page = await client.get("/households")
    assert page.status_code == 200
    assert "Milo Member&#39;s kitchen" in page.text
    flat = re.search(
        rf'<a href="/households/{world.household.id}">The Flat</a>\s*</td>\s*'
        r"<td>Member</td>\s*<td>2</td>",
        page.text,
    )
    assert flat, page.text
    assert input_value(page.text, "create-name") == ""


async def test_members_see_the_household_but_cannot_manage_it(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.member.email)
    page = await client.get(_url(world))
    assert page.status_code == 200
    assert "Olive Owner" in page.text
    assert "Milo Member" in page.text
    assert "You are a member." in page.text
    assert f'href="{_url(world, "/leave")}"' in page.text
    for managing in ("/invites", "/rename", "/transfer", "/remove"):
        assert f'{_url(world, managing)}"' not in page.text
    assert "Invite people" not in page.text


async def test_the_owner_and_admins_manage_it(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.owner.email)
    page = await client.get(_url(world))
    assert "You own this household." in page.text
    assert f'action="{_url(world, "/rename")}"' in page.text
    assert f'href="{_url(world, f"/members/{world.member.id}/remove")}"' in page.text
    assert f'/members/{world.owner.id}/remove"' not in page.text  # the owner is not removable
    assert "No invite link works right now." in page.text

    client.cookies.clear()
    await sign_in(client, world.admin.email)
    page = await client.get(_url(world))
    assert page.status_code == 200
    assert "as a site admin you can manage it" in page.text
    assert f'action="{_url(world, "/invites")}"' in page.text
    assert _url(world, "/leave") not in page.text  # not a member: nothing to leave


async def test_outsiders_and_unknown_households_are_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.outsider.email)
    for path in (_url(world), "/households/999999", _url(world, "/leave")):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")


# --- Creating and renaming --------------------------------------------------------------------


async def test_create_a_household(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    token = await sign_in(client, world.outsider.email)
    response = await client.post("/households", data={"csrf_token": token, "name": " Cabin "})
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/households/\d+", location)
    page = await client.get(location)
    assert flashes(page.text) == ["Cabin is ready. Invite the people you cook with."]
    assert "<h1>Cabin</h1>" in page.text
    assert "You own this household." in page.text


async def test_create_errors_keep_the_input(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.outsider.email)
    long_name = "Kitchen <" + "x" * 100
    response = await client.post("/households", data={"csrf_token": token, "name": long_name})
    assert response.status_code == 400
    assert field_error(response.text, "create-name") == "Use at most 100 characters."
    assert input_value(response.text, "create-name") == long_name
    assert "Oscar Outsider&#39;s kitchen" in response.text  # the list is still there
    blank = await client.post("/households", data={"csrf_token": token, "name": "  "})
    assert blank.status_code == 400
    assert field_error(blank.text, "create-name") == "This field is required."


async def test_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await sign_in(client, world.owner.email)
    for path, data in (
        ("/households", {"name": "Sneaky"}),
        (_url(world, "/rename"), {"name": "Sneaky"}),
        (_url(world, "/invites"), {}),
        (_url(world, f"/members/{world.member.id}/remove"), {}),
        (_url(world, "/transfer"), {"user_id": str(world.member.id)}),
        (_url(world, "/leave"), {}),
        ("/households/join", {"code": "ABCD-EFGH-JKMN"}),
    ):
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
        assert "reload the page" in response.text
    assert world.member.id in await _members(session, world)


async def test_owner_renames_and_members_may_not(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.owner.email)
    refused = await client.post(_url(world, "/rename"), data={"csrf_token": token, "name": ""})
    assert refused.status_code == 400
    assert field_error(refused.text, "rename-name") == "This field is required."
    renamed = await client.post(_url(world, "/rename"), data={"csrf_token": token, "name": "Loft"})
    assert renamed.status_code == 303
    page = await client.get(renamed.headers["location"])
    assert flashes(page.text) == ["Renamed to Loft."]
    assert input_value(page.text, "rename-name") == "Loft"

    client.cookies.clear()
    token = await sign_in(client, world.member.email)
    forbidden = await client.post(_url(world, "/rename"), data={"csrf_token": token, "name": "X"})
    assert forbidden.status_code == 403
    assert "Only the household" in forbidden.text


# --- Invite links and joining -----------------------------------------------------------------


async def test_invite_link_is_shown_once_and_lets_someone_join(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    token = await sign_in(client, world.owner.email)
    link = await _invite_link(client, world, token, expires_in_days="7")
    assert link.startswith("https://testserver/households/join?code=")
    code = _code(link)
    page = await client.get(_url(world))
    assert code not in page.text
    assert "1 time" not in page.text
    assert "0 times" in page.text

    client.cookies.clear()
    token = await sign_in(client, world.outsider.email)
    preview = await client.get(link.removeprefix("https://testserver"))
    assert preview.status_code == 200
    assert "<h1>Join The Flat?</h1>" in preview.text
    assert "2 people are in this household." in preview.text
    assert world.outsider.id not in await _members(session, world)  # a GET never joins

    joined = await client.post("/households/join", data={"csrf_token": token, "code": code})
    assert joined.status_code == 303
    assert joined.headers["location"] == _url(world)
    page = await client.get(_url(world))
    assert flashes(page.text) == ["Welcome to The Flat."]
    assert (await _members(session, world))[world.outsider.id] == MemberRole.MEMBER

    again = await client.post("/households/join", data={"csrf_token": token, "code": code})
    assert again.status_code == 303
    assert again.headers["location"] == _url(world)
    page = await client.get(_url(world))
    assert flashes(page.text) == ["You are already a member of this household."]
    already = await client.get(link.removeprefix("https://testserver"))
    assert "You are already a member of The Flat." in already.text


async def test_join_refusals(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.outsider.email)
    blank = await client.get("/households/join")
    assert blank.status_code == 200
    assert input_value(blank.text, "code") == ""

    unknown = await client.get("/households/join", params={"code": "AAAA-BBBB-CCCC"})
    assert unknown.status_code == 404
    assert field_error(unknown.text, "code") == "This invite code is not valid or has expired."
    assert input_value(unknown.text, "code") == "AAAA-BBBB-CCCC"

    missing = await client.post("/households/join", data={"csrf_token": token, "code": ""})
    assert missing.status_code == 400
    assert field_error(missing.text, "code") == "This field is required."
    wrong = await client.post("/households/join", data={"csrf_token": token, "code": "ZZZZ-9"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "code") == "This invite code is not valid or has expired."
    assert input_value(wrong.text, "code") == "ZZZZ-9"


async def test_a_new_link_can_replace_the_old_ones_and_links_can_be_revoked(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await sign_in(client, world.owner.email)
    first = _code(await _invite_link(client, world, token))
    kept = _code(await _invite_link(client, world, token))  # the box is unticked: both work
    page = await client.get(_url(world))
    assert page.text.count("/revoke") == 2
    assert '<input id="invite-revoke-active-true" type="checkbox"' in page.text

    third = _code(await _invite_link(client, world, token, revoke_active="true"))
    page = await client.get(_url(world))
    revoke_urls = re.findall(r'action="(/households/\d+/invites/\d+/revoke)"', page.text)
    assert len(revoke_urls) == 1
    for old in (first, kept):
        gone = await client.get("/households/join", params={"code": old})
        assert gone.status_code == 404

    revoked = await client.post(revoke_urls[0], data={"csrf_token": token})
    assert revoked.status_code == 303
    page = await client.get(revoked.headers["location"])
    assert flashes(page.text) == ["The invite link no longer works."]
    assert "No invite link works right now." in page.text
    assert (await client.get("/households/join", params={"code": third})).status_code == 404


async def test_invite_form_errors_and_members_cannot_invite(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await sign_in(client, world.owner.email)
    refused = await client.post(
        _url(world, "/invites"), data={"csrf_token": token, "expires_in_days": "365"}
    )
    assert refused.status_code == 400
    assert field_error(refused.text, "invite-expires-in-days")
    assert 'id="invite-link"' not in refused.text

    client.cookies.clear()
    token = await sign_in(client, world.member.email)
    forbidden = await client.post(_url(world, "/invites"), data={"csrf_token": token})
    assert forbidden.status_code == 403


# --- Removing, handing over, leaving ----------------------------------------------------------


async def test_owner_removes_a_member_after_confirming(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    token = await sign_in(client, world.owner.email)
    path = _url(world, f"/members/{world.member.id}/remove")
    confirm = await client.get(path)
    assert confirm.status_code == 200
    assert "<h1>Remove Milo Member from The Flat?</h1>" in confirm.text
    assert f'action="{path}"' in confirm.text
    assert world.member.id in await _members(session, world)

    removed = await client.post(path, data={"csrf_token": token})
    assert removed.status_code == 303
    page = await client.get(removed.headers["location"])
    assert flashes(page.text) == ["Milo Member is no longer a member of The Flat."]
    assert world.member.id not in await _members(session, world)


async def test_removal_refusals(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.admin.email)
    owner = _url(world, f"/members/{world.owner.id}/remove")
    refused = await client.post(owner, data={"csrf_token": token})
    assert refused.status_code == 400
    assert form_error(refused.text) == "The owner cannot be removed; transfer ownership first."

    client.cookies.clear()
    token = await sign_in(client, world.member.email)
    assert (await client.get(owner)).status_code == 403
    assert (await client.post(owner, data={"csrf_token": token})).status_code == 403
    stranger = _url(world, f"/members/{world.outsider.id}/remove")
    client.cookies.clear()
    token = await sign_in(client, world.owner.email)
    assert (await client.get(stranger)).status_code == 404


async def test_owner_hands_over_the_household(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    token = await sign_in(client, world.owner.email)
    page = await client.get(_url(world))
    assert f'<option value="{world.member.id}">Milo Member</option>' in page.text
    blank = await client.post(_url(world, "/transfer"), data={"csrf_token": token, "user_id": ""})
    assert blank.status_code == 400
    assert field_error(blank.text, "transfer-user-id") == "Choose the new owner."
    stranger = await client.post(
        _url(world, "/transfer"), data={"csrf_token": token, "user_id": str(world.outsider.id)}
    )
    assert stranger.status_code == 404

    done = await client.post(
        _url(world, "/transfer"), data={"csrf_token": token, "user_id": str(world.member.id)}
    )
    assert done.status_code == 303
    page = await client.get(_url(world))
    assert flashes(page.text) == ["Milo Member is now the owner."]
    assert "You are a member." in page.text
    roles = await _members(session, world)
    assert (roles[world.owner.id], roles[world.member.id]) == (MemberRole.MEMBER, MemberRole.OWNER)


async def test_members_leave_after_confirming(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    token = await sign_in(client, world.member.email)
    confirm = await client.get(_url(world, "/leave"))
    assert confirm.status_code == 200
    assert "<h1>Leave The Flat?</h1>" in confirm.text
    left = await client.post(_url(world, "/leave"), data={"csrf_token": token})
    assert left.status_code == 303
    assert left.headers["location"] == "/households"
    page = await client.get("/households")
    assert flashes(page.text) == ["You left The Flat."]
    assert world.member.id not in await _members(session, world)
    assert (await client.get(_url(world))).status_code == 404


async def test_leaving_refusals_are_shown_on_the_confirmation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    token = await sign_in(client, world.owner.email)
    refused = await client.post(_url(world, "/leave"), data={"csrf_token": token})
    assert refused.status_code == 400
    assert form_error(refused.text) == (
        "Transfer ownership to another member before leaving this household."
    )
    assert world.owner.id in await _members(session, world)

    loner = await make_user(session, settings)
    client.cookies.clear()
    token = await sign_in(client, loner.email)
    listed = await client.get("/households")
    personal = re.search(r'<a href="(/households/\d+)">', listed.text)
    assert personal
    only = await client.post(personal.group(1) + "/leave", data={"csrf_token": token})
    assert only.status_code == 400
    assert form_error(only.text) == "You cannot leave your only household."


# --- Escaping ---------------------------------------------------------------------------------


async def test_names_are_escaped_on_every_page(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    person = await make_user(session, settings, name=XSS)
    token = await sign_in(client, world.owner.email)
    renamed = await client.post(_url(world, "/rename"), data={"csrf_token": token, "name": XSS})
    assert renamed.status_code == 303
    code = _code(await _invite_link(client, world, token))

    client.cookies.clear()
    token = await sign_in(client, person.email)
    joined = await client.post("/households/join", data={"csrf_token": token, "code": code})
    assert joined.status_code == 303
    pages = [
        await client.get(_url(world)),  # the flash, the title, the members
        await client.get("/households"),
        await client.get("/households/join", params={"code": code}),
        await client.get(_url(world, "/leave")),
    ]
    client.cookies.clear()
    await sign_in(client, world.owner.email)
    pages += [
        await client.get(_url(world)),
        await client.get(_url(world, f"/members/{person.id}/remove")),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "<script>alert" not in page.text, page.url
        assert "&lt;script&gt;alert(" in page.text, page.url
    assert csrf_token(pages[0].text)
