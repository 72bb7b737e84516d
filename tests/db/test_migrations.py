"""The migrations build the schema the models describe, and walk back down cleanly."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from recipevault.config import load_settings
from recipevault.db import Base, create_engine
from recipevault.db.migrate import MIGRATIONS_DIR, alembic_config, include_name
from recipevault.models import import_all_models
from tests.support.database import DatabaseFactory
from tests.support.migrations import load_migration


def _diff(connection: Connection) -> list[object]:
    import_all_models()
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, Base.metadata))


def _heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


async def _inspect(url: str) -> tuple[list[object], tuple[str, ...]]:
    engine = create_engine(load_settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff), await connection.run_sync(_heads)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_no_pending_diff(databases: DatabaseFactory) -> None:
    url = databases.new_url("migrations")
    config = alembic_config(url)
    head = ScriptDirectory.from_config(config).get_current_head()

    await asyncio.to_thread(command.upgrade, config, "head")
    diff, heads = await _inspect(url)
    assert heads == (head,)
    assert diff == [], f"models and migrations differ: {diff}"

    await asyncio.to_thread(command.downgrade, config, "base")
    _, heads = await _inspect(url)
    assert heads == ()

    await asyncio.to_thread(command.upgrade, config, "head")
    diff, heads = await _inspect(url)
    assert heads == (head,)
    assert diff == []


def test_history_is_linear_and_file_names_are_dated() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.path is not None
        name = revision.path.rsplit("/", 1)[-1]
        assert name[:8].isdigit(), name
        assert name[8] == "_", name
    assert (MIGRATIONS_DIR / "env.py").exists()


DEMO_ACCOUNT_REVISION = "a7c2e9d4f6b1"  # rebuilds `users` on SQLite to add a column


async def test_rebuilding_a_table_keeps_the_rows_that_refer_to_it(
    databases: DatabaseFactory,
) -> None:
    # SQLite rebuilds a table by dropping it; with foreign keys enforced, a user's memberships
    # (and everything else that cascades from users) went with it.
    url = databases.new_url("rebuild")
    config = alembic_config(url)
    before = load_migration(DEMO_ACCOUNT_REVISION).down_revision
    await asyncio.to_thread(command.upgrade, config, before)
    engine = create_engine(load_settings(database_url=url))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (email, display_name, password_hash, role, is_active, "
                    "email_verified, unit_system, failed_logins, auth_epoch, created_at) VALUES "
                    "('cook@example.org', 'Cook', 'x', 'member', TRUE, TRUE, 'original', 0, 0, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO households (name, is_personal, created_at) "
                    "VALUES ('Home', TRUE, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO household_members (household_id, user_id, role, joined_at) "
                    "SELECT households.id, users.id, 'owner', CURRENT_TIMESTAMP "
                    "FROM households, users"
                )
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            members = await connection.scalar(text("SELECT count(*) FROM household_members"))
        assert members == 1
    finally:
        await engine.dispose()
