"""Alembic, driven from code: the CLI, `make run` and the tests share this configuration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from recipevault.config import Settings
from recipevault.db import create_engine

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
# Revision files start with the date and time they were written, so the folder reads in order.
FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"


# Created by hand in migrations, per database, and used through raw SQL only (FTS5 tables and
# their shadow tables on SQLite, tsvector/trigram objects on PostgreSQL, cook-with postings).
UNMODELLED_PREFIX = "recipe_search"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave hand-made search objects out of autogenerate comparisons."""
    return not (name or "").startswith(UNMODELLED_PREFIX)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", FILE_TEMPLATE)
    return config


def current_revision(settings: Settings) -> str | None:
    async def read() -> str | None:
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(_current_heads)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _current_heads(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(heads) if heads else None


class DatabaseUnreachable(Exception):
    """The database could not be opened or answered with an error; one line for an operator."""


def reach_database(settings: Settings, action: Callable[[], T]) -> T:
    """Run ``action``, turning driver and connection failures into ``DatabaseUnreachable``."""
    try:
        return action()
    except (OSError, DBAPIError) as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        raise DatabaseUnreachable(f"database error at {where}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def describe_failure(exc: BaseException) -> str:
    """One line for an operator, without a traceback."""
    return f"{type(exc).__name__}: {_first_line(exc)}"
