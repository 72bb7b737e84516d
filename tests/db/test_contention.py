"""A busy database is a 503 with Retry-After (problem+json, or the HTML page for browsers),
never a 500, and the request changed nothing."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from recipevault.config import Settings
from recipevault.db.contention import is_busy
from recipevault.deps import MarkPage, SessionDep
from recipevault.errors import PROBLEM_CONTENT_TYPE
from recipevault.recipes.models import Recipe
from tests.support.database import DatabaseFactory
from tests.support.served import served, sqlite_write_lock
from tests.support.world import make_user

router = APIRouter(prefix="/api/v1/_busy")
pages = APIRouter(prefix="/_busy", dependencies=[MarkPage])
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@router.get("/locked")
async def locked() -> None:
    raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


@router.get("/reader-locked")
async def reader_locked() -> None:
    # The SQLite reader runs statements straight through the driver: its errors come unwrapped.
    raise sqlite3.OperationalError("database is locked")


@router.get("/no-connection")
async def no_connection() -> None:
    raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached")


@router.get("/broken")
async def broken() -> None:
    raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))


@router.post("/lock-timeout")
async def lock_timeout(session: SessionDep) -> None:
    await session.execute(text("SET LOCAL lock_timeout = '50ms'"))
    await session.execute(text("LOCK TABLE recipes IN ACCESS EXCLUSIVE MODE"))


@pages.get("/locked")
async def locked_page() -> None:
    raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    app.include_router(pages)
    return app


def _assert_busy_problem(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["status"] == 503
    assert body["type"].endswith(":database-busy")


@pytest.mark.parametrize("path", ["/locked", "/reader-locked", "/no-connection"])
async def test_a_busy_database_is_503_problem_with_retry_after(
    client: httpx.AsyncClient, path: str
) -> None:
    _assert_busy_problem(await client.get(f"/api/v1/_busy{path}"))


async def test_a_busy_database_on_a_page_is_the_html_503_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/_busy/locked", headers=HTML)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "1"
    assert "try again" in response.text.lower()


async def test_other_database_errors_stay_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/_busy/broken")
    assert response.status_code == 500
    assert response.json()["type"].endswith(":internal-error")


class _PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "busy"),
    [
        ("40001", True),  # serialization failure
        ("40P01", True),  # deadlock
        ("55P03", True),  # lock timeout
        ("53300", True),  # too many connections
        ("23505", False),  # a unique violation is a bug or a conflict, not contention
        ("42P01", False),
    ],
)
def test_postgresql_errors_that_mean_busy(sqlstate: str, busy: bool) -> None:
    assert is_busy(DBAPIError("UPDATE recipes", {}, _PostgresError(sqlstate))) is busy


@pytest.mark.postgres_only
async def test_a_lock_timeout_on_postgresql_is_503(
    databases: DatabaseFactory, settings: Settings
) -> None:
    async with served(databases, settings, "lock_timeout", routers=[router]) as app:
        client, database = app.client, app.database
        assert isinstance(database.bind, AsyncEngine)
        async with database.bind.connect() as other, other.begin():
            await other.execute(text("LOCK TABLE recipes IN ACCESS EXCLUSIVE MODE"))
            response = await client.post("/api/v1/_busy/lock-timeout")
        _assert_busy_problem(response)


@pytest.mark.sqlite_only
async def test_a_write_while_another_process_holds_the_lock_is_503_and_changes_nothing(
    databases: DatabaseFactory, settings: Settings
) -> None:
    async with served(databases, settings, "busy_write", sqlite_busy_timeout_ms=100) as app:
        client, database = app.client, app.database
        async with database.session() as session:
            user = await make_user(session, settings)
            await session.commit()
        signed_in = await client.post(
            "/api/v1/auth/token", data={"username": user.email, "password": "correct horse battery"}
        )
        auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        with sqlite_write_lock(database):
            response = await client.post("/api/v1/recipes", json={"title": "Soup"}, headers=auth)
        _assert_busy_problem(response)
        async with database.session(write=False) as session:
            count = await session.scalar(select(func.count()).select_from(Recipe))
        assert count == 0
        retried = await client.post("/api/v1/recipes", json={"title": "Soup"}, headers=auth)
        assert retried.status_code == 201
