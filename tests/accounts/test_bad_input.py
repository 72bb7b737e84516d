"""Bad input gets a clear 4xx problem, and secrets never reach the logs."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.logging import configure_logging
from tests.support.world import PASSWORD, make_user

PROBLEM = "application/problem+json"


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return dict(response.json())


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@example.org", "a b@example.org", "a@example..org", "x" * 400]
)
async def test_malformed_email_is_422_naming_the_field(
    client: httpx.AsyncClient, email: str
) -> None:
    body = _assert_problem(
        await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "X"},
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["email"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "x" * 101), ("display_name", ""), ("password", "p" * 257)],
)
async def test_overlong_or_empty_fields_are_422(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    payload = {"email": "ok@example.org", "password": PASSWORD, "display_name": "Ok", field: value}
    body = _assert_problem(await client.post("/api/v1/auth/register", json=payload), 422)
    assert [e["field"] for e in body["errors"]] == [field]  # type: ignore[attr-defined]


async def test_unknown_fields_are_rejected(client: httpx.AsyncClient) -> None:
    payload = {
        "email": "ok@example.org",
        "password": PASSWORD,
        "display_name": "Ok",
        "role": "admin",
    }
    body = _assert_problem(await client.post("/api/v1/auth/register", json=payload), 422)
    assert [e["field"] for e in body["errors"]] == ["role"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"email=a@example.org", "application/x-www-form-urlencoded"),
        (b"<xml/>", "application/xml"),
        (b"\xff\xfe", "application/json"),
        (b"[1, 2]", "application/json"),
    ],
)
async def test_wrong_content_types_are_4xx(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=content, headers={"content-type": content_type}
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def _valid_token(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
    )
    return str(response.json()["access_token"])


async def test_missing_garbage_tampered_and_none_tokens_are_401(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    other = await make_user(session, settings)
    token = await _valid_token(client, user.email)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered = f"{header}.{_b64({**claims, 'sub': str(other.id)})}.{signature}"
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    authorizations: dict[str, str | bytes | None] = {
        "missing": None,
        "empty bearer": "Bearer ",
        "wrong scheme": f"Basic {token}",
        "garbage": "Bearer garbage",
        "tampered": f"Bearer {tampered}",
        "alg none": f"Bearer {alg_none}",
        "unknown api token": "Bearer rvp_not-a-token",
        "non-ascii": "Bearer ünïcödé".encode(),
    }
    for name, value in authorizations.items():
        raw = value.encode() if isinstance(value, str) else value
        headers = [(b"Authorization", raw)] if raw is not None else []
        response = await client.get("/api/v1/users/me", headers=headers)
        body = _assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer"), name
        assert body["detail"], name


async def test_token_grant_with_non_email_username_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", data={"username": "admin", "password": "x"})
    _assert_problem(response, 422)


async def test_token_grant_without_fields_is_422(client: httpx.AsyncClient) -> None:
    body = _assert_problem(await client.post("/api/v1/auth/token", data={}), 422)
    assert {e["field"] for e in body["errors"]} == {"username", "password"}  # type: ignore[attr-defined]


async def test_a_path_id_that_is_no_number_is_no_address(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    headers = {"Authorization": f"Bearer {await _valid_token(client, user.email)}"}
    # Ids are numbers: /households/abc is no address here, as /households/join is another.
    _assert_problem(await client.get("/api/v1/households/abc", headers=headers), 404)
    _assert_problem(await client.get("/api/v1/households/99999999", headers=headers), 404)


async def test_no_secret_reaches_the_logs(
    app: FastAPI,
    client: httpx.AsyncClient,
    outbox: list[EmailMessage],
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(app.state.settings.model_copy(update={"log_level": "DEBUG"}))
    await client.post(
        "/api/v1/auth/register",
        json={"email": "log@example.org", "password": PASSWORD, "display_name": "Log"},
    )
    await client.post(
        "/api/v1/auth/token", data={"username": "log@example.org", "password": "wrong one!"}
    )
    pair = (
        await client.post(
            "/api/v1/auth/token", data={"username": "log@example.org", "password": PASSWORD}
        )
    ).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    created = await client.post("/api/v1/users/me/tokens", json={"name": "t"}, headers=headers)
    await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    await client.post("/api/v1/auth/password-reset", json={"email": "log@example.org"})
    await app.state.mailer.drain()
    session_login = await client.post(
        "/api/v1/auth/session", json={"email": "log@example.org", "password": PASSWORD}
    )

    logs = capsys.readouterr().out
    assert "request" in logs  # the access log did run
    secrets = [
        PASSWORD,
        "wrong one!",
        pair["access_token"],
        pair["refresh_token"],
        created.json()["token"],
        session_login.json()["csrf_token"],
        client.cookies[app.state.settings.session_cookie_name],
        "$argon2id$",
    ]
    secrets += [
        m.get_content().split("token=")[1].split()[0] for m in outbox if "token=" in m.get_content()
    ]
    for secret in secrets:
        assert secret not in logs
