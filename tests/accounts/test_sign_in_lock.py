"""A sign-in checks the password (tens of milliseconds of Argon2) holding no lock: other writes
go on meanwhile, on a database of its own with real concurrent sessions."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from recipevault.accounts import service
from recipevault.accounts.models import User
from recipevault.accounts.passwords import PasswordHasher
from recipevault.config import Settings
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import PASSWORD, hasher_for, make_user


class _HeldHasher(PasswordHasher):
    """Checks passwords as the real one does, once let go."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.checking = asyncio.Event()
        self.go = asyncio.Event()

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        self.checking.set()
        await self.go.wait()
        return await self.real.verify(password, password_hash)


async def test_other_writes_go_on_while_a_sign_in_checks_the_password(
    databases: DatabaseFactory, settings: Settings
) -> None:
    async with own_database(databases, settings, "sign_in_lock") as database:
        async with database.session() as session:
            user = await make_user(session, settings)
            other = await make_user(session, settings)
            await session.commit()
        hasher = _HeldHasher(hasher_for(settings))

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
        await asyncio.wait_for(hasher.checking.wait(), 5)
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
