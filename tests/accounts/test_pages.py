"""The sign-in, registration and recovery pages, driven as a browser without JavaScript would."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import User
from recipevault.admin import service as admin
from recipevault.config import Settings
from recipevault.mail import Mailer
from tests.support.html import (
    csrf_token,
    field_error,
    flashes,
    form_error,
    input_value,
    page_token,
)
from tests.support.world import PASSWORD, actor_for, make_user

NEW_PASSWORD = "a much better passphrase"


async def _mail_token(app: FastAPI, outbox: list[EmailMessage], path: str) -> str:
    mailer: Mailer = app.state.mailer
    await mailer.drain()
    body = outbox[-1].get_content()
    match = re.search(rf"https://testserver{path}\?token=([\w-]+)", body)
    assert match, body
    return match.group(1)


async def _login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    token = await page_token(client, "/login")
    return await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password, **extra}
    )


@pytest.mark.parametrize(
    "path",
    ["/login", "/register", "/forgot-password", "/reset-password?token=t", "/verify-email?token=t"],
)
async def test_each_page_renders_with_a_form_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'name="csrf_token"' in response.text
    assert csrf_token(response.text)


@pytest.mark.parametrize(
    "path", ["/login", "/register", "/forgot-password", "/reset-password", "/verify-email"]
)
async def test_form_posts_without_the_token_are_refused(
    client: httpx.AsyncClient, path: str
) -> None:
    await client.get("/login")  # the browser has its cookie, but the form lacks the token
    response = await client.post(path, data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "reload the page" in response.text


async def test_a_token_from_another_browser_is_refused(client: httpx.AsyncClient) -> None:
    token = await page_token(client, "/login")
    client.cookies.clear()
    await client.get("/register")  # a new cookie of its own
    response = await client.post("/login", data={"csrf_token": token, "email": "a@example.org"})
    assert response.status_code == 403


# --- Signing in and out ---------------------------------------------------------------------


async def test_sign_in_redirects_to_next_with_a_welcome(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings, name="Sam Signin")
    response = await _login(client, user.email, next="/account?tab=tokens")
    assert response.status_code == 303
    assert response.headers["location"] == "/account?tab=tokens"
    assert settings.session_cookie_name in response.cookies
    page = await client.get("/account")
    assert page.status_code == 200
    assert flashes(page.text) == ["Welcome back, Sam Signin."]


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
async def test_sign_in_never_redirects_off_site(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, next_url: str
) -> None:
    user = await make_user(session, settings)
    response = await _login(client, user.email, next=next_url)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_login_page_keeps_a_safe_next_and_drops_a_foreign_one(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/login", params={"next": "/account"})
    assert 'name="next" value="/account"' in kept.text
    dropped = await client.get("/login", params={"next": "https://evil.example"})
    assert 'name="next" value="/"' in dropped.text


async def test_wrong_password_shows_the_form_again(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    response = await _login(client, user.email, password="not my password")
    assert response.status_code == 400
    assert form_error(response.text) == "The email or password is not correct."
    assert input_value(response.text, "email") == user.email
    assert input_value(response.text, "password") is None
    assert "not my password" not in response.text
    assert settings.session_cookie_name not in response.cookies


async def test_invalid_fields_get_messages_beside_them(client: httpx.AsyncClient) -> None:
    response = await _login(client, "not an address", password="")
    assert response.status_code == 400
    assert field_error(response.text, "email")
    assert field_error(response.text, "password") == "This field is required."
    assert 'aria-describedby="email-error"' in response.text
    assert input_value(response.text, "email") == "not an address"


async def test_failed_sign_ins_are_rate_limited_like_the_api(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    allowed = int(settings.rate_limit_login_per_account.split("/")[0])
    for _ in range(allowed):
        assert (await _login(client, user.email, password="wrong guess")).status_code == 400
    refused = await _login(client, user.email)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert (
        form_error(refused.text) == "Too many failed sign-ins; wait a little before trying again."
    )


async def test_signed_in_people_skip_the_login_page(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    await _login(client, user.email)
    response = await client.get("/login", params={"next": "/account"})
    assert response.status_code == 303
    assert response.headers["location"] == "/account"


async def test_sign_out_ends_the_session(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    await _login(client, user.email)
    token = await page_token(client, "/account")
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert flashes((await client.get("/")).text) == ["You are signed out."]
    account = await client.get("/account")
    assert account.status_code == 303
    assert account.headers["location"] == "/login?next=%2Faccount"


async def test_signed_in_sign_out_needs_the_session_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    await _login(client, user.email)
    refused = await client.post("/logout")
    assert refused.status_code == 403
    assert "reload the page" in refused.text
    assert (await client.post("/logout", data={"csrf_token": "guess"})).status_code == 403
    assert (await client.get("/account")).status_code == 200


# --- Registering ----------------------------------------------------------------------------


async def _register(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = await page_token(client, "/register")
    return await client.post("/register", data={"csrf_token": token, **fields})


async def test_register_signs_the_new_person_in(
    app: FastAPI, client: httpx.AsyncClient, outbox: list[EmailMessage], settings: Settings
) -> None:
    response = await _register(
        client, email="New@Example.org", password=PASSWORD, display_name="Nora <New>"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert settings.session_cookie_name in response.cookies
    home = (await client.get("/")).text
    assert "Nora &lt;New&gt;" in home
    assert flashes(home)[0].startswith("Welcome to RecipeVault, Nora <New>.")
    await app.state.mailer.drain()
    assert [m["To"] for m in outbox] == ["new@example.org"]


async def test_register_errors_sit_beside_their_fields(client: httpx.AsyncClient) -> None:
    response = await _register(client, email="", password="", display_name="Kept Name")
    assert response.status_code == 400
    assert field_error(response.text, "email") == "This field is required."
    assert field_error(response.text, "password") == "This field is required."
    assert field_error(response.text, "display-name") is None
    assert input_value(response.text, "display-name") == "Kept Name"


async def test_register_refusals_from_the_service_sit_beside_their_fields(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    taken = await make_user(session, settings)
    weak = await _register(
        client, email="fresh@example.org", password="qwertyuiop", display_name="F"
    )
    assert weak.status_code == 400
    assert "most common passwords" in (field_error(weak.text, "password") or "")
    assert input_value(weak.text, "email") == "fresh@example.org"
    assert input_value(weak.text, "password") is None

    duplicate = await _register(client, email=taken.email, password=PASSWORD, display_name="F")
    assert duplicate.status_code == 400
    assert field_error(duplicate.text, "email") == "An account with this email already exists."


async def test_register_respects_the_registration_switch(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings, admin=True)
    await admin.set_registration_open(
        session, actor=await actor_for(session, owner), open_=False, ip=None
    )
    await session.flush()
    page = await client.get("/register")
    assert page.status_code == 403
    assert "Registration is closed" in page.text
    token = csrf_token(page.text)
    response = await client.post(
        "/register",
        data={
            "csrf_token": token,
            "email": "late@example.org",
            "password": PASSWORD,
            "display_name": "Late",
        },
    )
    assert response.status_code == 403
    assert "Registration is closed" in response.text


# --- Recovering an account ------------------------------------------------------------------


async def test_password_reset_through_the_pages(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session, settings)
    token = await page_token(client, "/forgot-password")
    asked = await client.post("/forgot-password", data={"csrf_token": token, "email": user.email})
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login"
    assert flashes((await client.get("/login")).text)[0].startswith(
        f"If an account uses {user.email}"
    )
    link_token = await _mail_token(app, outbox, "/reset-password")

    form = await client.get("/reset-password", params={"token": link_token})
    assert f'name="token" value="{link_token}"' in form.text
    page_csrf = csrf_token(form.text)

    # A refused password leaves the link usable.
    weak = await client.post(
        "/reset-password",
        data={"csrf_token": page_csrf, "token": link_token, "new_password": "short"},
    )
    assert weak.status_code == 400
    assert field_error(weak.text, "new-password") == (
        "The password must be at least 10 characters long."
    )
    done = await client.post(
        "/reset-password",
        data={"csrf_token": page_csrf, "token": link_token, "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert (await _login(client, user.email, password=NEW_PASSWORD)).status_code == 303


async def test_reset_with_a_bad_link_says_so(client: httpx.AsyncClient) -> None:
    token = await page_token(client, "/forgot-password")
    response = await client.post(
        "/reset-password",
        data={"csrf_token": token, "token": "not-a-real-one", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert form_error(response.text) == "This link is not valid any more; ask for a new one."
    incomplete = await client.get("/reset-password")
    assert incomplete.status_code == 400
    assert "incomplete" in (form_error(incomplete.text) or "")


async def test_forgot_password_answers_the_same_for_unknown_addresses(
    app: FastAPI, client: httpx.AsyncClient, outbox: list[EmailMessage]
) -> None:
    token = await page_token(client, "/forgot-password")
    response = await client.post(
        "/forgot-password", data={"csrf_token": token, "email": "nobody@example.org"}
    )
    assert response.status_code == 303
    await app.state.mailer.drain()
    assert outbox == []


async def test_verify_email_through_the_pages(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
) -> None:
    await _register(client, email="v@example.org", password=PASSWORD, display_name="Vera")
    link_token = await _mail_token(app, outbox, "/verify-email")
    page = await client.get("/verify-email", params={"token": link_token})
    assert page.status_code == 200
    assert "Confirm my address" in page.text
    response = await client.post(
        "/verify-email", data={"csrf_token": csrf_token(page.text), "token": link_token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    account = await client.get("/account")
    assert "Thank you: your email address is confirmed." in flashes(account.text)
    assert "Confirmed" in account.text
    user = (
        await session.execute(User.__table__.select().where(User.email == "v@example.org"))
    ).one()
    assert user.email_verified

    again = await client.post(
        "/verify-email", data={"csrf_token": csrf_token(account.text), "token": link_token}
    )
    assert again.status_code == 400
    assert form_error(again.text) == "This link is not valid any more; ask for a new one."
