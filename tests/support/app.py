"""Settings and app construction shared by the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI

from recipevault.config import Settings, load_settings
from recipevault.db import Database
from recipevault.mail import Mailer
from recipevault.main import create_app
from tests.support.database import commit_test_work

TEST_HOST = "testserver"


class AppTransport(httpx.ASGITransport):
    """Requests to the app in process; what the test wrote itself is committed before each
    (``commit_test_work``)."""

    def __init__(self, database: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.database = database

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await commit_test_work(self.database)
        return await super().handle_async_request(request)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "allowed_hosts": [TEST_HOST, "localhost", "127.0.0.1"],
        "log_format": "json",
        "public_url": "https://testserver",
        # Cheap hashing keeps the suite fast; the parameters are still Argon2id.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def app_client(
    settings: Settings,
    database: Database,
    *routers: APIRouter,
    client_addr: str = "127.0.0.1",
    **overrides: object,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built with ``overrides`` on the test's settings, plus ``routers``."""
    app = create_app(make_settings(settings.database_url, **overrides), database=database)
    for router in routers:
        app.include_router(router)
    async with LifespanManager(app) as manager:
        transport = AppTransport(database, app=manager.app, client=(client_addr, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def record_mail(app: FastAPI) -> list[EmailMessage]:
    """The mail ``app`` sends from now on, kept in this list instead of delivered."""
    sent: list[EmailMessage] = []

    class Recorder:
        async def deliver(self, message: EmailMessage) -> str:
            sent.append(message)
            return "memory"

    app.state.mailer = Mailer(Recorder(), sender="RecipeVault <test@example.org>")
    return sent
