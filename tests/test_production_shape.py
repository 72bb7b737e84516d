"""The suite runs on SQLite as `make run` runs: a migrated database file, opened by
``Database.from_settings``, whose reads outside a session go through the reader on a connection
of its own. If the fixtures ever fall back to sharing the test's connection with the app (or to
a database in memory), these fail."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Executable, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts.models import User
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.db.sqlite_reader import SqliteReader
from tests.recipes.pages_support import make_recipe, pancakes
from tests.support.world import make_user

pytestmark = pytest.mark.sqlite_only


async def test_the_app_opens_a_migrated_sqlite_file_of_the_tests_own(
    database: Database, settings: Settings
) -> None:
    assert isinstance(database.bind, AsyncEngine), "the app must own its engine, as in make run"
    name = database.bind.url.database
    assert name, "the test database must be a file, not memory"
    path = Path(name)
    assert await asyncio.to_thread(path.is_file)
    assert str(path) not in settings.database_url  # a copy: the migrated original stays as built
    assert isinstance(database.reader, SqliteReader)
    assert database.reader.engine.url.database == name
    assert database.reader.first(text("PRAGMA journal_mode")) == ("wal",)
    tables = await database.rows(select(text("name")).select_from(text("sqlite_master")))
    assert ("alembic_version",) in tables


async def test_api_reads_go_through_the_reader_and_see_what_was_committed(
    client: httpx.AsyncClient,
    database: Database,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await make_user(session, settings)
    await make_recipe(session, user, pancakes(title="Flatbread"))
    reader = database.reader
    assert reader is not None
    new_user = select(User.id).where(User.id == user.id)
    # The reader's connection is not the test's: what the test has not committed is not there.
    assert reader.first(new_user) is None

    read: list[Executable] = []
    execute = reader.execute

    def counted(statement: Executable, parameters: dict[str, Any] | None = None) -> Sequence[Any]:
        read.append(statement)
        return execute(statement, parameters)

    monkeypatch.setattr(reader, "execute", counted)
    response = await client.get("/api/v1/recipes")
    assert response.status_code == 200
    assert [item["title"] for item in orjson.loads(response.content)["items"]] == ["Flatbread"]
    assert read, "the listing was not read through the reader"
    # The test's writes were committed before the request, as a request's are before the next.
    assert reader.first(new_user) == (user.id,)
