"""Password reset and email verification, through the API and the mail they send."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.mail import Mailer
from tests.support.world import PASSWORD, make_user

NEW_PASSWORD = "a much better passphrase"


async def _delivered(app: FastAPI) -> None:
    mailer: Mailer = app.state.mailer
    await mailer.drain()


def _token_from(message: EmailMessage, path: str) -> str:
    body = message.get_content()
    match = re.search(rf"https://testserver{path}\?token=([\w-]+)", body)
    assert match, body
    return match.group(1)


async def test_reset_flow(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session, settings)
    response = await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    assert response.status_code == 202
    await _delivered(app)
    (message,) = outbox
    assert message["To"] == user.email
    token = _token_from(message, "/reset-password")

    confirm = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirm.status_code == 204
    signed_in = await client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": PASSWORD}
    )
    assert again.status_code == 400  # single use


async def test_reset_answers_the_same_for_unknown_email(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session, settings)
    known = await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "no@example.org"})
    await _delivered(app)
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [m["To"] for m in outbox] == [user.email]


async def test_reset_link_expires(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session, settings)
    with time_machine.travel(utcnow(), tick=False) as clock:
        await client.post("/api/v1/auth/password-reset", json={"email": user.email})
        await _delivered(app)
        token = _token_from(outbox[0], "/reset-password")
        clock.shift(timedelta(minutes=settings.password_reset_minutes, seconds=1))
        response = await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": NEW_PASSWORD},
        )
    assert response.status_code == 400
    assert "not valid" in response.json()["detail"]


async def test_reset_signs_out_every_session(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session, settings)
    pair = (
        await client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    ).json()
    await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    await _delivered(app)
    token = _token_from(outbox[0], "/reset-password")
    await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_reset_requests_are_rate_limited(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session, settings)
    allowed = int(settings.rate_limit_reset_per_account.split("/")[0])
    for _ in range(allowed):
        assert (
            await client.post("/api/v1/auth/password-reset", json={"email": user.email})
        ).status_code == 202
    limited = await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_registration_sends_verification_mail(
    app: FastAPI, client: httpx.AsyncClient, outbox: list[EmailMessage]
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "v@example.org", "password": PASSWORD, "display_name": "V"},
    )
    assert response.json()["email_verified"] is False
    await _delivered(app)
    token = _token_from(outbox[0], "/verify-email")
    assert (
        await client.post("/api/v1/auth/verify-email", json={"token": token})
    ).status_code == 204
    pair = (
        await client.post(
            "/api/v1/auth/token", data={"username": "v@example.org", "password": PASSWORD}
        )
    ).json()
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.json()["email_verified"] is True
    reused = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert reused.status_code == 400


async def test_outbox_transport_writes_eml_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from recipevault.mail import MailMessage, OutboxTransport

    mailer = Mailer(OutboxTransport(tmp_path / "outbox"), sender="RV <rv@example.org>")
    await mailer.send(MailMessage(to="a@example.org", subject="Hello there", body="Body text"))
    (path,) = (tmp_path / "outbox").iterdir()
    assert path.suffix == ".eml"
    assert "Body text" in path.read_text()
