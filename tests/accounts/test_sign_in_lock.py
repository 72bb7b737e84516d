"""A sign-in checks the password (tens of milliseconds of Argon2) holding no lock: other writes
go on meanwhile, on a database of its own with real concurrent sessions."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from recipevault.accounts import service
from recipevault.accounts.models import User
from recipevault.config import Settings
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import PASSWORD, HeldHasher, hasher_for, make_user


async def test_other_writes_go_on_while_a_sign_in_checks_the_password(
    databases: DatabaseFactory, settings: Settings
) -> None:
    async with own_database(databases, settings, "sign_in_lock") as database:
        async with database.session() as session:
            user = await make_user(session, settings)
            other = await make_user(session, settings)
            await session.commit()
        hasher = HeldHasher(hasher_for(settings))

        async def sign_in() -> int:
            async with database.session() as session:
                signed_in = await service.authenticate(
                    session,
                    email=user.email,
                    password=PASSWORD,
                    hasher=hasher,
                    settings=settings,
                    ip=None,
                )
                await session.commit()
                return signed_in.id

        signing_in = asyncio.create_task(sign_in())
        await asyncio.wait_for(hasher.working.wait(), 5)
        async with asyncio.timeout(3), database.session() as session:
            await session.execute(
                update(User).where(User.id == other.id).values(display_name="Renamed")
            )
            await session.commit()
        hasher.go.set()
        assert await asyncio.wait_for(signing_in, 5) == user.id
        async with database.session(write=False) as session:
            last_login = await session.scalar(select(User.last_login_at).where(User.id == user.id))
        assert last_login is not None
