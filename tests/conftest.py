"""Shared fixtures.

Each test runs against every enabled backend (SQLite always; PostgreSQL under CI or with
RECIPEVAULT_TEST_POSTGRES=1). The schema is built once per backend by the migrations.

On SQLite each test gets a copy of that migrated file, opened as `make run` opens its database
(``Database.from_settings``: pooled connections, one writer, the reader on a connection of its
own), so commits are real and the copy is thrown away afterwards; what the test writes itself is
committed before the app serves its requests (``CaseDatabase``). On PostgreSQL every test runs
inside a transaction that is rolled back, which the app shares, so code under test may commit
freely (that releases a savepoint).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.db import Database, create_engine
from recipevault.logging import configure_logging
from recipevault.main import create_app
from tests.support.app import TEST_HOST, AppTransport, make_settings, record_mail
from tests.support.database import (
    SQLITE,
    CaseDatabase,
    DatabaseFactory,
    backends,
    case_database,
    database_factory,
    migrate,
    settle_sqlite_file,
)
from tests.support.jobs import RecordingQueue
from tests.support.redis import redis_available, redis_required, running_redis
from tests.support.world import HeadersFor, World, headers_for, make_world


def _applies(item: pytest.Item) -> bool:
    if item.get_closest_marker("redis") and not (redis_required() or redis_available()):
        return False
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("backend") if callspec else None
    if item.get_closest_marker("postgres_only") and backend != "postgresql":
        return False
    return not (item.get_closest_marker("sqlite_only") and backend != "sqlite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Backend-specific tests are deselected on the other backend rather than skipped."""
    kept = [item for item in items if _applies(item)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if not _applies(item)])
        items[:] = kept


def pytest_report_header() -> list[str]:
    lines = [f"database backends: {', '.join(backends())}"]
    if not (redis_required() or redis_available()):
        lines.append("redis tests deselected: install redis-server or set CI=true")
    return lines


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server for the run; under CI a failure to start it fails the tests."""
    with running_redis() as url:
        yield url


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    with database_factory(backend, tmp_path_factory.mktemp(backend)) as factory:
        yield factory


@pytest.fixture(scope="session")
def database_url(databases: DatabaseFactory) -> str:
    """The database built by the migrations (on SQLite, the file each test copies)."""
    url = databases.new_url("test")
    migrate(url)
    if databases.backend == SQLITE:
        settle_sqlite_file(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, outbox_dir=tmp_path_factory.mktemp("outbox"))


@pytest.fixture(scope="session")
async def run_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """PostgreSQL: the run's engine; each test borrows one of its connections."""
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sqlite_database(
    backend: str, databases: DatabaseFactory, settings: Settings, database_url: str
) -> AsyncIterator[CaseDatabase | None]:
    """On SQLite, the test's own copy of the migrated file, opened as the app opens one."""
    if backend != SQLITE:
        yield None
        return
    async with case_database(databases, settings, database_url) as database:
        yield database


@pytest.fixture
async def connection(
    sqlite_database: CaseDatabase | None, run_engine: AsyncEngine
) -> AsyncIterator[AsyncConnection]:
    """The test's own connection: on SQLite one more of its database's, committed before the
    app serves a request; on PostgreSQL the one the app shares, rolled back at the end."""
    if sqlite_database is not None:
        assert isinstance(sqlite_database.bind, AsyncEngine)
        async with sqlite_database.bind.connect() as connection:
            sqlite_database.test_work.append(connection)
            yield connection
        return
    async with run_engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Database:
    """The app's database: on SQLite the test's own file (``sqlite_database``); on PostgreSQL
    the test's connection, inside its transaction."""
    if backend == SQLITE:
        database: Database = request.getfixturevalue("sqlite_database")
        return database
    return Database(request.getfixturevalue("connection"))


@pytest.fixture
def engine(database: Database) -> AsyncEngine:
    """The engine the app's sessions run on (on SQLite, ``statements_run`` follows its
    database's other connections too)."""
    bind = database.bind
    return bind if isinstance(bind, AsyncEngine) else bind.engine


@pytest.fixture
async def session(
    database: Database, sqlite_database: CaseDatabase | None, connection: AsyncConnection
) -> AsyncIterator[AsyncSession]:
    """The test's session, on its connection (``connection``)."""
    if sqlite_database is None:
        async with database.session() as session:
            yield session
        return
    async with Database(connection).session() as session:
        sqlite_database.test_work.append(session)
        yield session


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> World:
    """An admin, a shared household of an owner and a member, and an outsider in a household
    of their own (``tests.support.world.World``), made through the services."""
    return await make_world(session, settings)


@pytest.fixture
def as_(session: AsyncSession, settings: Settings, world: World) -> HeadersFor:
    """The bearer headers of one of ``world``'s people, by name: ``as_("member")``."""
    return headers_for(world, settings, session)


@pytest.fixture
def jobs() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def app(settings: Settings, database: Database, jobs: RecordingQueue) -> FastAPI:
    app = create_app(settings, database=database)
    app.state.jobs = jobs
    return app


@pytest.fixture
def outbox(app: FastAPI) -> list[EmailMessage]:
    """Mail the app sends during the test, captured instead of delivered."""
    return record_mail(app)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = AppTransport(app.state.database, app=manager.app, client=("127.0.0.1", 50000))
        # https, as in production: session cookies are Secure outside development.
        async with httpx.AsyncClient(
            transport=transport, base_url=f"https://{TEST_HOST}"
        ) as client:
            yield client


@pytest.fixture(autouse=True)
def _json_logging() -> Iterator[None]:
    """JSON logs, as in production; re-done after each test because tests that inspect logs
    point them at their own captured stdout."""
    settings = make_settings("sqlite://", log_level="WARNING")
    configure_logging(settings)
    yield
    configure_logging(settings)
