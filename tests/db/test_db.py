"""The engine setup and the request-owned transaction."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

import recipevault
from recipevault.config import Settings
from recipevault.db import NAMING_CONVENTION, Base, Database, create_engine
from recipevault.deps import SessionDep
from recipevault.errors import NotFound
from tests.support.database import DatabaseFactory, own_database, plans_made

router = APIRouter(prefix="/api/v1/_tx")


@router.post("/notes/{body}")
async def add_note(body: str, session: SessionDep) -> dict[str, str]:
    await session.execute(text("INSERT INTO tx_probe (body) VALUES (:body)"), {"body": body})
    return {"body": body}


@router.post("/notes/{body}/then-fail")
async def add_note_then_fail(body: str, session: SessionDep) -> None:
    await session.execute(text("INSERT INTO tx_probe (body) VALUES (:body)"), {"body": body})
    raise NotFound("Pretend the parent vanished.")


@pytest.fixture
async def probe_table(connection: AsyncConnection) -> None:
    # Created inside the test's outer transaction, so the rollback removes it again.
    await connection.execute(text("CREATE TABLE tx_probe (body VARCHAR(50) NOT NULL)"))


@pytest.fixture
def app(app: FastAPI, probe_table: None) -> FastAPI:
    app.include_router(router)
    return app


async def _notes(connection: AsyncConnection) -> list[str]:
    return list((await connection.execute(text("SELECT body FROM tx_probe"))).scalars())


async def test_commit_happens_before_the_response_is_sent(
    app: FastAPI,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    real_commit = AsyncSession.commit

    async def recording_commit(self: AsyncSession) -> None:
        await real_commit(self)
        events.append("commit")

    monkeypatch.setattr(AsyncSession, "commit", recording_commit)
    response = await client.post("/api/v1/_tx/notes/hello")
    events.append("response received")
    assert response.status_code == 200
    assert events == ["commit", "response received"]
    assert await _notes(connection) == ["hello"]


async def test_failing_commit_is_an_error_response_not_200(
    client: httpx.AsyncClient, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_commit(self: AsyncSession) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(AsyncSession, "commit", failing_commit)
    response = await client.post("/api/v1/_tx/notes/lost")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    monkeypatch.undo()
    assert await _notes(connection) == []


async def test_error_in_route_rolls_back(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    response = await client.post("/api/v1/_tx/notes/orphan/then-fail")
    assert response.status_code == 404
    assert await _notes(connection) == []


def test_constraint_naming_convention() -> None:
    assert Base.metadata.naming_convention == NAMING_CONVENTION
    assert {"ix", "uq", "ck", "fk", "pk"} <= set(NAMING_CONVENTION)


@pytest.mark.sqlite_only
async def test_sqlite_runs_wal_with_busy_timeout_and_foreign_keys(settings: Settings) -> None:
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            pragma = {
                name: (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            }
    finally:
        await database.dispose()
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": settings.sqlite_busy_timeout_ms,
        "foreign_keys": 1,
    }


@pytest.mark.sqlite_only
async def test_sqlite_writers_queue_instead_of_failing(settings: Settings) -> None:
    """Two read-then-write transactions at once: with BEGIN IMMEDIATE the second waits for the
    first instead of failing with "database is locked"."""
    import asyncio

    database = Database.from_settings(settings.model_copy(update={"sqlite_busy_timeout_ms": 5000}))
    async with database.session() as setup:
        await setup.execute(text("CREATE TABLE IF NOT EXISTS counter_probe (n INTEGER)"))
        await setup.execute(text("DELETE FROM counter_probe"))
        await setup.execute(text("INSERT INTO counter_probe VALUES (0)"))
        await setup.commit()

    async def increment() -> None:
        async with database.session(write=True) as session:
            n = (await session.execute(text("SELECT n FROM counter_probe"))).scalar_one()
            await asyncio.sleep(0.05)  # hold the transaction open while the other one starts
            await session.execute(text("UPDATE counter_probe SET n = :n"), {"n": n + 1})
            await session.commit()

    try:
        await asyncio.gather(*(increment() for _ in range(4)))
        async with database.session() as session:
            final = (await session.execute(text("SELECT n FROM counter_probe"))).scalar_one()
            await session.execute(text("DROP TABLE counter_probe"))
            await session.commit()
    finally:
        await database.dispose()
    assert final == 4


@pytest.mark.sqlite_only
async def test_sqlite_writers_of_one_process_queue_for_the_lock_in_turn(
    settings: Settings, databases: DatabaseFactory
) -> None:
    """Far more writers at once than the busy timeout lets one wait: they take the lock in
    turn, none gives up with "database is locked"."""
    import asyncio

    busy = settings.model_copy(update={"sqlite_busy_timeout_ms": 20})
    async with own_database(databases, busy, "writers") as database:
        async with database.session() as setup:
            await setup.execute(text("CREATE TABLE turn_probe (writer INTEGER)"))
            await setup.commit()

        async def write(writer: int) -> None:
            async with database.session(write=True) as session:
                await session.execute(text("INSERT INTO turn_probe VALUES (:w)"), {"w": writer})
                await asyncio.sleep(0.01)  # each holds the lock about half the busy timeout
                await session.commit()

        await asyncio.gather(*(write(n) for n in range(30)))
        async with database.session(write=False) as session:
            count = (await session.execute(text("SELECT count(*) FROM turn_probe"))).scalar_one()
    assert count == 30


@pytest.mark.postgres_only
def test_postgres_engine_has_sized_pool_and_pre_ping(settings: Settings) -> None:
    engine = create_engine(settings.model_copy(update={"db_pool_size": 7}))
    pool = engine.sync_engine.pool
    assert pool.size() == 7  # type: ignore[attr-defined]
    assert pool._pre_ping is True
    assert engine.dialect.driver == "asyncpg"


@pytest.mark.postgres_only
async def test_reads_without_a_session_run_outside_a_transaction(settings: Settings) -> None:
    database = Database.from_settings(settings)
    try:
        async with database.reading() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
            raw = await connection.get_raw_connection()
            assert raw.driver_connection is not None
            assert not raw.driver_connection.is_in_transaction()
    finally:
        await database.dispose()


@pytest.mark.postgres_only
async def test_reads_planned_once_keep_one_plan_and_leave_the_setting_behind(
    settings: Settings,
) -> None:
    """PostgreSQL plans a prepared statement again for each of its first five runs, and after
    them whenever a plan for the values looks cheaper; read with ``plan_once``, every run uses
    the plan made at the first. The setting ends with the read."""
    database = Database.from_settings(settings)
    statement = text("SELECT count(*) FROM pg_class WHERE relname = :name")
    names = ["pg_class", "pg_type", "pg_proc", "pg_index", "pg_attribute", "none", "pg_am"]
    try:
        async with database.reading(plan_once=True) as connection:
            for name in names:
                await connection.execute(statement, {"name": name})
            plans = await plans_made(connection, "SELECT count(*) FROM pg_class WHERE relname = $1")
            assert plans == [(len(names), 0)]
        async with database.reading() as connection:
            mode = await connection.execute(text("SHOW plan_cache_mode"))
            assert mode.scalar_one() == "auto"
    finally:
        await database.dispose()


@pytest.mark.postgres_only
async def test_settling_after_a_bulk_load_vacuums_and_analyzes_on_postgresql(
    settings: Settings, databases: DatabaseFactory
) -> None:
    async with own_database(databases, settings, "settle") as database:
        await database.settle()
        async with database.reading() as connection:
            done = await connection.execute(
                text(
                    "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL "
                    "FROM pg_stat_user_tables WHERE relname = 'recipes'"
                )
            )
            assert done.scalar_one() is True


@pytest.mark.sqlite_only
async def test_settling_is_nothing_to_do_on_sqlite(settings: Settings) -> None:
    database = Database.from_settings(settings)
    try:
        await database.settle()
        async with database.reading() as connection:
            tables = await connection.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            assert tables.scalar_one() == 0
    finally:
        await database.dispose()


_KITS_AND_MIGRATIONS = frozenset({"db", "http", "web", "migrations"})


def _feature_modules() -> list[Path]:
    package = Path(recipevault.__file__).parent
    return sorted(
        path
        for folder in package.iterdir()
        if folder.is_dir() and (folder / "__init__.py").exists()
        if folder.name not in _KITS_AND_MIGRATIONS
        for path in folder.rglob("*.py")
    )


def _sql_strings(path: Path) -> list[str]:
    """Where a module builds a statement from a SQL string: ``sqlalchemy.text``, or a
    string handed to the driver."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            found += [f"imports {alias.name}" for alias in node.names if alias.name == "text"]
        elif isinstance(node, ast.Attribute) and node.attr in {"text", "exec_driver_sql"}:
            if isinstance(node.value, ast.Name) and node.value.id in {"sa", "sqlalchemy"}:
                found.append(f"{node.value.id}.{node.attr}")
            elif node.attr == "exec_driver_sql":
                found.append(node.attr)
    return [f"{path.name}:{what}" for what in found]


def test_feature_modules_hand_the_database_statements_not_sql_strings() -> None:
    """Features build Core statements; SQL written by hand lives in the database kit and the
    migrations, so the kit can run every statement the fastest way it has."""
    modules = _feature_modules()
    assert any(path.match("recipes/search/index.py") for path in modules)
    assert [where for path in modules for where in _sql_strings(path)] == []


DIALECTS = "sqlalchemy.dialects"


def _dialect_inserts(path: Path) -> list[str]:
    """Where a module takes one dialect's INSERT: ``insert`` from ``sqlalchemy.dialects.<name>``,
    or ``<name>.insert`` of a dialect module it imports."""
    tree = ast.parse(path.read_text(), str(path))
    dialects, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(DIALECTS):
            for alias in node.names:
                if alias.name == "insert":
                    found.append(f"{node.module}.insert")
                elif node.module == DIALECTS:
                    dialects.add(alias.asname or alias.name)
    found += [
        f"{node.value.id}.insert"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "insert"
        if isinstance(node.value, ast.Name) and node.value.id in dialects
    ]
    return [f"{path.name}:{what}" for what in found]


def test_feature_modules_take_their_upserts_from_the_database_kit() -> None:
    """An INSERT that skips or updates the rows a unique constraint holds is spelled alike on
    SQLite and PostgreSQL, from different modules: features take it from ``db.upsert``, so
    that none of them chooses by the dialect."""
    modules = _feature_modules()
    assert any(path.match("recipes/documents.py") for path in modules)
    assert [where for path in modules for where in _dialect_inserts(path)] == []
