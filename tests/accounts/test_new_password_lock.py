"""Registering, changing a password and resetting one hash the new password (tens of
milliseconds of Argon2) holding no lock: other writes go on meanwhile, on a database of its
own with real concurrent sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import recovery, service
from recipevault.accounts.models import TokenPurpose, User
from recipevault.accounts.schemas import UserCreate
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.registration.service import register_user
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import PASSWORD, HeldHasher, hasher_for, make_user

NEW_PASSWORD = "a different battery staple"


async def _other_writes_go_on_while(
    database: Database,
    hasher: HeldHasher,
    other: User,
    write: Callable[[AsyncSession], Awaitable[object]],
) -> None:
    """Run ``write`` in a session of its own, and while its hasher works, rename ``other``."""

    async def run() -> None:
        async with database.session() as session:
            await write(session)
            await session.commit()

    running = asyncio.create_task(run())
    await asyncio.wait_for(hasher.working.wait(), 5)
    try:
        async with asyncio.timeout(3), database.session() as session:
            await session.execute(
                update(User).where(User.id == other.id).values(display_name="Renamed")
            )
            await session.commit()
    finally:
        hasher.go.set()
        await asyncio.wait_for(running, 10)


async def _register(session: AsyncSession, user: User, hasher: HeldHasher) -> object:
    data = UserCreate(email="new@example.org", password=NEW_PASSWORD, display_name="New")
    return await register_user(session, data=data, hasher=hasher, registration_open=True, ip=None)


async def _change(session: AsyncSession, user: User, hasher: HeldHasher) -> None:
    await service.change_password(
        session,
        user=await service.get_user(session, user.id),
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        hasher=hasher,
        keep_session_id=None,
        ip=None,
    )


async def _reset(session: AsyncSession, user: User, hasher: HeldHasher) -> object:
    secret = await recovery._issue(
        session, user=user, purpose=TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=1)
    )
    await session.commit()  # the link, sent by mail
    return await recovery.reset_password(
        session, token=secret, new_password=NEW_PASSWORD, hasher=hasher, ip=None
    )


@pytest.mark.parametrize(
    ("write", "email"),
    [(_register, "new@example.org"), (_change, None), (_reset, None)],
    ids=["register", "change", "reset"],
)
async def test_other_writes_go_on_while_a_new_password_is_hashed(
    databases: DatabaseFactory,
    settings: Settings,
    write: Callable[[AsyncSession, User, HeldHasher], Awaitable[object]],
    email: str | None,
) -> None:
    async with own_database(databases, settings, f"new_password_{write.__name__}") as database:
        async with database.session() as session:
            user = await make_user(session, settings)
            other = await make_user(session, settings)
            await session.commit()
        hasher = HeldHasher(hasher_for(settings))
        await _other_writes_go_on_while(
            database, hasher, other, lambda session: write(session, user, hasher)
        )
        async with database.session(write=False) as session:
            found = await service.find_user_by_email(session, email or user.email)
            assert found is not None
            assert (await hasher.real.verify(NEW_PASSWORD, found.password_hash))[0]
