"""Test databases: one per backend per run, built by the migrations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from alembic import command

from recipevault.migrate import alembic_config
from tests.support.postgres import PostgresServer, running_postgres

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def postgres_required() -> bool:
    """Under CI, or when asked, PostgreSQL runs too, and failing to start it is an error."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "RECIPEVAULT_TEST_POSTGRES", ""
    ) in {"1", "true", "yes"}


def backends() -> list[str]:
    return [SQLITE, POSTGRESQL] if postgres_required() else [SQLITE]


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class DatabaseFactory:
    """Makes empty databases on one backend; PostgreSQL starts on first use."""

    def __init__(self, backend: str, workdir: Path, stack: ExitStack) -> None:
        self.backend = backend
        self.workdir = workdir
        self._stack = stack
        self._server: PostgresServer | None = None

    def _postgres(self) -> PostgresServer:
        if self._server is None:
            self._server = self._stack.enter_context(running_postgres())
        return self._server

    def new_url(self, label: str) -> str:
        name = f"rv_{label}_{uuid.uuid4().hex[:8]}"
        if self.backend == SQLITE:
            return f"sqlite+aiosqlite:///{self.workdir / name}.db"
        server = self._postgres()
        server.create_database(name)
        return server.url(name)


@contextmanager
def database_factory(backend: str, workdir: Path) -> Iterator[DatabaseFactory]:
    with ExitStack() as stack:
        yield DatabaseFactory(backend, workdir, stack)
