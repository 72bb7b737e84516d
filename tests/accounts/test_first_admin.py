"""Who becomes the site admin: the first account a person registers, never the demo account."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import service
from recipevault.accounts.models import Role, User
from recipevault.accounts.schemas import UserCreate
from recipevault.admin import service as admin
from recipevault.config import Settings, load_settings
from recipevault.db import Database, create_engine
from recipevault.demo import loader
from recipevault.demo.source import read_demo_recipes
from recipevault.errors import Conflict
from recipevault.registration.service import register_user
from tests.support.database import DatabaseFactory, migrate, own_database
from tests.support.demo import write_demo_data
from tests.support.migrations import load_migration
from tests.support.world import PASSWORD, actor_for, hasher_for, make_user


async def _register(
    session: AsyncSession, settings: Settings, email: str, *, registration_open: bool = True
) -> User:
    return await register_user(
        session,
        data=UserCreate(email=email, password=PASSWORD, display_name=email.split("@")[0]),
        hasher=hasher_for(settings),
        registration_open=registration_open,
        ip=None,
    )


async def test_the_demo_account_is_a_member_and_the_first_person_the_admin(
    session: AsyncSession, settings: Settings
) -> None:
    demo = (await loader.demo_account(session, settings)).actor
    assert demo.role == Role.MEMBER
    first = await make_user(session, settings)
    second = await make_user(session, settings)
    assert first.role == Role.ADMIN
    assert second.role == Role.MEMBER
    demo_user = await session.get(User, demo.user_id)
    assert demo_user is not None
    assert demo_user.is_demo
    assert not first.is_demo


async def test_the_demo_account_does_not_close_registration(
    session: AsyncSession, settings: Settings
) -> None:
    """With registration closed, whoever sets the site up can still make the first account,
    even after `make run` loaded the demo kitchen."""
    await loader.demo_account(session, settings)
    assert await service.registration_allowed(session, registration_open=False)
    owner = await _register(session, settings, "owner@example.org", registration_open=False)
    assert owner.role == Role.ADMIN
    assert not await service.registration_allowed(session, registration_open=False)


async def test_registration_never_adds_an_admin_where_one_exists(
    session: AsyncSession, settings: Settings
) -> None:
    made_by_command = await make_user(session, settings, admin=True)
    assert made_by_command.role == Role.ADMIN
    registered = await _register(session, settings, "later@example.org")
    assert registered.role == Role.MEMBER


async def test_the_demo_account_cannot_be_made_an_admin(
    session: AsyncSession, settings: Settings
) -> None:
    demo = (await loader.demo_account(session, settings)).actor
    person = await make_user(session, settings)
    with pytest.raises(Conflict, match="password is public"):
        await admin.update_user(
            session,
            actor=await actor_for(session, person),
            user_id=demo.user_id,
            role=Role.ADMIN,
            is_active=None,
            ip=None,
        )
    demo_user = await session.get(User, demo.user_id)
    assert demo_user is not None
    assert demo_user.role == Role.MEMBER


async def test_the_demo_loader_does_not_take_the_admin_role(
    database: Database, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    demos = read_demo_recipes(write_demo_data(tmp_path / "recipes.json", count=1))
    await loader.load(database, settings, demos)
    roles = (await session.execute(select(User.email, User.role, User.is_demo))).all()
    assert roles == [(loader.DEMO_EMAIL, Role.MEMBER, True)]


async def test_two_people_registering_at_once_make_one_admin(
    databases: DatabaseFactory, settings: Settings
) -> None:
    """Each registration in its own transaction, as two requests would run them: the second
    must decide after the first has committed."""
    async with own_database(databases, settings, "first_admin") as database:

        async def register(email: str) -> Role:
            async with database.session() as session:
                user = await _register(session, settings, email)
                await session.commit()
                return user.role

        roles = await asyncio.gather(*(register(f"p{n}@example.org") for n in range(4)))
    assert sorted(roles) == [Role.ADMIN, Role.MEMBER, Role.MEMBER, Role.MEMBER]


REPAIR = "a7c2e9d4f6b1"  # the migration that marks and demotes the demo account


async def _execute(url: str, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = create_engine(load_settings(_env_file=None, database_url=url))
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), values)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_the_upgrade_demotes_a_demo_account_that_is_admin_and_says_so(
    databases: DatabaseFactory,
) -> None:
    url = databases.new_url("demo_repair")
    await asyncio.to_thread(migrate, url, load_migration(REPAIR).down_revision)
    for n, email in enumerate((loader.DEMO_EMAIL, "cook@example.org", "boss@example.org"), 1):
        await _execute(
            url,
            "INSERT INTO users (id, email, display_name, password_hash, role, is_active, "
            "email_verified, unit_system, failed_logins, auth_epoch, created_at) "
            "VALUES (:id, :email, :email, 'x', :role, :active, :active, 'metric', 0, 0, "
            ":created_at)",
            id=n,
            email=email,
            role="member" if email == "cook@example.org" else "admin",
            active=True,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    await asyncio.to_thread(migrate, url, REPAIR)
    users = await _execute(url, "SELECT email, role, is_demo FROM users ORDER BY id")
    assert users == [
        (loader.DEMO_EMAIL, "member", True),
        ("cook@example.org", "member", False),
        ("boss@example.org", "admin", False),
    ]
    (event,) = await _execute(
        url, "SELECT action, actor_id, target_type, target_id, details FROM audit_events"
    )
    action, actor_id, target_type, target_id, details = event
    assert (action, actor_id, target_type, target_id) == ("admin.role_changed", None, "user", "1")
    if isinstance(details, str):
        details = json.loads(details)
    assert isinstance(details, dict)
    assert details["from"] == "admin"
    assert details["to"] == "member"
    assert "demo account" in details["reason"]
