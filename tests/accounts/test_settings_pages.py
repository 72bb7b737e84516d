"""The account settings page: profile, password, personal API tokens, email confirmation."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import UnitSystem, User
from recipevault.config import Settings
from tests.support.html import csrf_token, field_error, flashes, form_error, input_value
from tests.support.world import PASSWORD, make_user, sign_in

NEW_PASSWORD = "a much better passphrase"


async def _signed_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, name: str | None = None
) -> tuple[User, str]:
    person = await make_user(session, settings, name=name)
    return person, await sign_in(client, person.email)


async def test_account_page_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"


async def test_account_page_shows_the_settings(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings, name="Ada <Account>")
    page = await client.get("/account")
    assert page.status_code == 200
    assert csrf_token(page.text) == token
    assert input_value(page.text, "profile-display-name") == "Ada <Account>"
    assert '<option value="original" selected>As written</option>' in page.text
    assert "Not confirmed yet" in page.text
    assert "You have no API tokens." in page.text


async def test_profile_is_saved(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user, token = await _signed_in(client, session, settings)
    response = await client.post(
        "/account/profile",
        data={"csrf_token": token, "display_name": "Renamed", "unit_system": "us"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    page = await client.get("/account")
    assert flashes(page.text) == ["Your profile is saved."]
    assert input_value(page.text, "profile-display-name") == "Renamed"
    await session.refresh(user)
    assert user.unit_system == UnitSystem.US


async def test_profile_errors_keep_the_input_and_the_rest_of_the_page(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user, token = await _signed_in(client, session, settings, name="Kept")
    response = await client.post(
        "/account/profile",
        data={"csrf_token": token, "display_name": "", "unit_system": "imperial"},
    )
    assert response.status_code == 400
    assert field_error(response.text, "profile-display-name") == "This field is required."
    assert field_error(response.text, "profile-unit-system") == "Choose one of the options."
    assert "Create a token" in response.text
    await session.refresh(user)
    assert user.display_name == "Kept"


async def test_unsafe_requests_need_the_session_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await _signed_in(client, session, settings)
    response = await client.post("/account/profile", data={"display_name": "Hijacked"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    with_header = await client.post(
        "/account/profile",
        data={"display_name": "Via header", "unit_system": "metric"},
        headers={"X-CSRF-Token": "wrong"},
    )
    assert with_header.status_code == 403


async def test_password_change_keeps_this_browser_signed_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings)
    old_cookie = client.cookies[settings.session_cookie_name]
    response = await client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    new_cookie = response.cookies[settings.session_cookie_name]
    assert new_cookie != old_cookie
    page = await client.get("/account")
    assert page.status_code == 200
    assert flashes(page.text) == ["Your password is changed; other devices were signed out."]

    client.cookies.set(settings.session_cookie_name, old_cookie)
    assert (await client.get("/account")).status_code == 303


async def test_password_change_refusals_sit_beside_their_fields(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings)
    wrong = await client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": "nope", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert field_error(wrong.text, "password-current-password") == (
        "The current password is not correct."
    )
    assert input_value(wrong.text, "password-current-password") is None
    weak = await client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 400
    assert field_error(weak.text, "password-new-password") == (
        "The password must be at least 10 characters long."
    )
    assert (await client.get("/account")).status_code == 200  # still signed in


async def test_a_new_token_is_shown_exactly_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings)
    created = await client.post(
        "/account/tokens",
        data={"csrf_token": token, "name": "backup <script>", "scopes": "write"},
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    match = re.search(r'<code class="secret" id="new-token">(rvp_[\w-]+)</code>', created.text)
    assert match
    secret = match.group(1)
    assert "backup &lt;script&gt;" in created.text

    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    listed = await client.get(
        "/api/v1/users/me/tokens", headers={"Authorization": f"Bearer {secret}"}
    )
    assert listed.json()[0]["scopes"] == ["read", "write"]

    page = await client.get("/account")
    assert secret not in page.text
    assert secret[:10] in page.text  # the prefix, to tell tokens apart
    assert "Read and write" in page.text


async def test_token_form_errors(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings)
    response = await client.post(
        "/account/tokens",
        data={"csrf_token": token, "name": "", "scopes": "admin", "expires_in_days": "-1"},
    )
    assert response.status_code == 400
    assert field_error(response.text, "token-name") == "This field is required."
    assert field_error(response.text, "token-scopes") == "Choose one of the options."
    assert field_error(response.text, "token-expires-in-days")
    assert 'id="new-token"' not in response.text


async def test_token_with_an_expiry_and_revoking_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings)
    created = await client.post(
        "/account/tokens",
        data={"csrf_token": token, "name": "temp", "scopes": "read", "expires_in_days": "30"},
    )
    assert created.status_code == 201
    token_id = re.search(r'action="/account/tokens/(\d+)/delete"', created.text)
    assert token_id
    assert "Read only" in created.text
    revoked = await client.post(
        f"/account/tokens/{token_id.group(1)}/delete", data={"csrf_token": token}
    )
    assert revoked.status_code == 303
    page = await client.get("/account")
    assert flashes(page.text) == ["The token is revoked."]
    assert "You have no API tokens." in page.text


async def test_someone_elses_token_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, token = await _signed_in(client, session, settings)
    response = await client.post("/account/tokens/999999/delete", data={"csrf_token": token})
    assert response.status_code == 404
    assert "find that page" in response.text


async def test_confirmation_link_can_be_sent_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user, token = await _signed_in(client, session, settings)
    response = await client.post("/account/verify-email", data={"csrf_token": token})
    assert response.status_code == 303
    await app.state.mailer.drain()
    assert [m["To"] for m in outbox] == [user.email]
    page = await client.get("/account")
    assert flashes(page.text) == [f"A new confirmation link is on its way to {user.email}."]
    assert form_error(page.text) is None
