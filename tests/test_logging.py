from __future__ import annotations

import json
import logging

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.logging import REDACTED, configure_logging, request_context
from tests.support.world import bearer, make_user


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


async def test_access_log_line_is_json_with_request_fields(
    app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(app.state.settings)
    await client.get("/health/live", headers={"X-Request-ID": "log-1"})
    access = [
        line for line in _lines(capsys.readouterr().out) if line["logger"] == "recipevault.access"
    ]
    assert len(access) == 1
    line = access[0]
    assert line["message"] == "request"
    assert line["level"] == "info"
    assert line["request_id"] == "log-1"
    assert line["method"] == "GET"
    assert line["path"] == "/health/live"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert str(line["timestamp"]).endswith("Z")


async def test_access_log_names_the_signed_in_user(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(app.state.settings)
    user = await make_user(session, app.state.settings)
    await client.get("/api/v1/users/me", headers=bearer(user, app.state.settings, session))
    (line,) = [
        line for line in _lines(capsys.readouterr().out) if line["logger"] == "recipevault.access"
    ]
    assert line["user_id"] == user.id
    assert line["status"] == 200


def test_standard_library_loggers_share_the_format(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(app.state.settings)
    with request_context(request_id="ctx-9"):
        logging.getLogger("uvicorn.error").warning("from the server")
    (line,) = _lines(capsys.readouterr().out)
    assert line == {
        "message": "from the server",
        "level": "warning",
        "logger": "uvicorn.error",
        "request_id": "ctx-9",
        "timestamp": line["timestamp"],
    }


def test_credentials_are_redacted(app: FastAPI, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(app.state.settings)
    structlog.get_logger("recipevault.test").info(
        "login", email="a@example.org", password="hunter2hunter2", refresh_token="rt-secret"
    )
    (line,) = _lines(capsys.readouterr().out)
    assert line["password"] == REDACTED
    assert line["refresh_token"] == REDACTED
    assert line["email"] == "a@example.org"
    assert "hunter2" not in json.dumps(line)


def test_console_format_for_development(app: FastAPI, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(app.state.settings.model_copy(update={"log_format": "console"}))
    structlog.get_logger("recipevault.test").info("hello there")
    out = capsys.readouterr().out
    assert "hello there" in out
    assert not out.lstrip().startswith("{")
