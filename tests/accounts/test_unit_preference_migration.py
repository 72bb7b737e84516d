"""The migration that adds "as written" to the unit preference: existing accounts on the old
default move to it, US readers keep their choice, and nothing that refers to a user is lost."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from recipevault.config import load_settings
from recipevault.db import create_engine
from recipevault.db.migrate import alembic_config
from tests.support.database import DatabaseFactory
from tests.support.migrations import load_migration

REVISION = "f0388d5b745a"

_USER = (
    "INSERT INTO users (email, display_name, password_hash, role, is_active, email_verified, "
    "unit_system, failed_logins, auth_epoch, created_at) VALUES "
    "(:email, 'Someone', 'x', 'member', TRUE, TRUE, :units, 0, 0, CURRENT_TIMESTAMP)"
)
_JOB = (
    "INSERT INTO jobs (owner_id, kind, status, payload, progress_done, progress_total, "
    "attempts, created_at, updated_at) SELECT id, 'import_urls', 'queued', '{}', 0, 0, 0, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users"
)


async def _run(url: str, *statements: tuple[str, dict[str, str]]) -> list[tuple[str, str]]:
    engine = create_engine(load_settings(database_url=url))
    try:
        async with engine.begin() as connection:
            for statement, parameters in statements:
                await connection.execute(text(statement), parameters)
            rows = await connection.execute(text("SELECT email, unit_system FROM users"))
            return sorted((email, units) for email, units in rows)
    finally:
        await engine.dispose()


async def _jobs(url: str) -> int:
    engine = create_engine(load_settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM jobs"))).scalar_one())
    finally:
        await engine.dispose()


async def test_accounts_move_to_as_written_and_keep_what_refers_to_them(
    databases: DatabaseFactory,
) -> None:
    url = databases.new_url("units")
    config = alembic_config(url)
    before = load_migration(REVISION).down_revision
    await asyncio.to_thread(command.upgrade, config, before)
    await _run(
        url,
        (_USER, {"email": "metric@example.org", "units": "metric"}),
        (_USER, {"email": "us@example.org", "units": "us"}),
        (_JOB, {}),
    )

    await asyncio.to_thread(command.upgrade, config, REVISION)
    assert await _run(url) == [("metric@example.org", "original"), ("us@example.org", "us")]
    assert await _jobs(url) == 2  # the users table was not dropped and rebuilt under them
    await _run(url, (_USER, {"email": "new@example.org", "units": "original"}))
    with pytest.raises(IntegrityError):
        await _run(url, (_USER, {"email": "bad@example.org", "units": "imperial"}))

    await asyncio.to_thread(command.downgrade, config, before)
    assert await _run(url) == [
        ("metric@example.org", "metric"),
        ("new@example.org", "metric"),
        ("us@example.org", "us"),
    ]
    assert await _jobs(url) == 2
    # Refused again: by the CHECK constraint, or first by the shorter column on PostgreSQL.
    with pytest.raises(DBAPIError):
        await _run(url, (_USER, {"email": "late@example.org", "units": "original"}))
