"""Marking API tokens and browser sessions as used: no request waits on a second write
transaction of its own for it, and the mark lands. On a database of its own (a file on SQLite)
with real concurrent connections, not the test's shared transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update

from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts import tokens
from recipevault.accounts.models import ApiToken, BrowserSession
from recipevault.accounts.schemas import ApiTokenCreate
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from tests.support.database import DatabaseFactory
from tests.support.served import Served, eventually, served, sqlite_write_lock
from tests.support.world import make_user

# Long enough that a request waiting it out is caught by the bounds below.
BUSY_TIMEOUT_MS = 4000
RECIPE = {"title": "Soup", "ingredients": [{"text": "1 l water"}]}


async def _token(database: Database, settings: Settings) -> tuple[int, dict[str, str]]:
    """A new member's write token, never used yet: its first use is due to be marked."""
    async with database.session() as session:
        user = await make_user(session, settings)
        token, secret = await tokens.create_api_token(
            session, user=user, data=ApiTokenCreate(name="t", scopes=["read", "write"]), ip=None
        )
        await session.commit()
    return token.id, {"Authorization": f"Bearer {secret}"}


async def _last_used(database: Database, token_id: int) -> datetime | None:
    async with database.session(write=False) as session:
        return await session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))


async def _marked(database: Database, token_id: int) -> bool:
    return await _last_used(database, token_id) is not None


@pytest.fixture
async def on_file(databases: DatabaseFactory, settings: Settings) -> AsyncIterator[Served]:
    async with served(databases, settings, "marks", sqlite_busy_timeout_ms=BUSY_TIMEOUT_MS) as app:
        yield app


@contextmanager
def _token_marks_written() -> Iterator[list[str]]:
    """Every statement that writes a token's mark, on any engine, while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_a_write_marks_its_token_in_its_own_unit_of_work(
    on_file: Served, settings: Settings
) -> None:
    client, database = on_file.client, on_file.database
    token_id, auth = await _token(database, settings)
    async with asyncio.timeout(BUSY_TIMEOUT_MS / 2000):
        response = await client.post("/api/v1/recipes", json=RECIPE, headers=auth)
    assert response.status_code == 201
    assert await _marked(database, token_id)
    # Committed with the recipe: nothing was left for later.
    assert database.write_behind.pending == 0


async def test_concurrent_writes_with_unmarked_tokens_each_land_with_their_mark(
    on_file: Served, settings: Settings
) -> None:
    client, database = on_file.client, on_file.database
    users = [await _token(database, settings) for _ in range(6)]
    async with asyncio.timeout(BUSY_TIMEOUT_MS / 1000):
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/recipes", json=RECIPE | {"title": f"Soup {n}"}, headers=auth)
                for n, (_, auth) in enumerate(users)
            )
        )
    assert [r.status_code for r in responses] == [201] * len(users)
    for token_id, _ in users:
        assert await _marked(database, token_id)


async def test_a_write_that_fails_still_marks_its_token(
    on_file: Served, settings: Settings
) -> None:
    client, database = on_file.client, on_file.database
    token_id, auth = await _token(database, settings)
    missing = await client.patch("/api/v1/recipes/999999", json={"title": "x"}, headers=auth)
    assert missing.status_code == 404
    # Its unit of work was rolled back; the mark is written after it, on its own.
    await eventually(lambda: _marked(database, token_id))


@pytest.mark.sqlite_only
async def test_a_read_does_not_wait_for_the_write_lock_and_its_mark_lands_after(
    on_file: Served, settings: Settings
) -> None:
    client, database = on_file.client, on_file.database
    token_id, auth = await _token(database, settings)
    with sqlite_write_lock(database):
        # Answered while another process holds the write lock, well within the busy timeout.
        async with asyncio.timeout(BUSY_TIMEOUT_MS / 2000):
            response = await client.get("/api/v1/recipes?limit=1", headers=auth)
        assert response.status_code == 200
        assert await _last_used(database, token_id) is None
    await eventually(lambda: _marked(database, token_id))


@pytest.mark.sqlite_only
async def test_a_mark_that_meets_a_busy_database_is_written_later(
    databases: DatabaseFactory, settings: Settings
) -> None:
    """The write-behind gives up on the lock quickly here and tries again until it lands."""
    async with served(databases, settings, "mark_retry", sqlite_busy_timeout_ms=50) as app:
        client, database = app.client, app.database
        token_id, auth = await _token(database, settings)
        with sqlite_write_lock(database):
            response = await client.get("/api/v1/recipes?limit=1", headers=auth)
            assert response.status_code == 200
            await asyncio.sleep(0.3)  # a write of the mark has failed meanwhile
            assert await _last_used(database, token_id) is None
        await eventually(lambda: _marked(database, token_id))


async def test_a_burst_of_reads_writes_one_mark(
    databases: DatabaseFactory, settings: Settings
) -> None:
    with _token_marks_written() as written:
        async with served(databases, settings, "mark_burst") as app:
            client, database = app.client, app.database
            token_id, auth = await _token(database, settings)
            for _ in range(3):
                responses = await asyncio.gather(
                    *(client.get("/api/v1/recipes?limit=1", headers=auth) for _ in range(10))
                )
                assert {r.status_code for r in responses} == {200}
            await eventually(lambda: _marked(database, token_id))
            more = await client.get("/api/v1/recipes?limit=1", headers=auth)
            assert more.status_code == 200
        # Closing the database wrote whatever marks were still waiting.
    assert len(written) == 1


async def test_a_browser_session_seen_by_a_write_is_marked_with_it(
    on_file: Served, settings: Settings
) -> None:
    client, database = on_file.client, on_file.database
    idle_since = utcnow() - timedelta(minutes=10)
    async with database.session() as session:
        user = await make_user(session, settings)
        opened = await browser_sessions.open_session(
            session, user=user, settings=settings, ip=None, user_agent=None
        )
        await session.execute(
            update(BrowserSession)
            .where(BrowserSession.id == opened.record.id)
            .values(last_seen_at=idle_since)
        )
        await session.commit()
    headers = {
        "Cookie": f"{settings.session_cookie_name}={opened.cookie_value}",
        "X-CSRF-Token": opened.record.csrf_token,
    }
    async with asyncio.timeout(BUSY_TIMEOUT_MS / 2000):
        response = await client.patch(
            "/api/v1/users/me", json={"display_name": "Renamed"}, headers=headers
        )
    assert response.status_code == 200
    async with database.session(write=False) as session:
        seen = await session.scalar(
            select(BrowserSession.last_seen_at).where(BrowserSession.id == opened.record.id)
        )
    assert seen is not None
    assert seen > idle_since + timedelta(minutes=5)
    assert database.write_behind.pending == 0
