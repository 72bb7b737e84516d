"""Registering from the command line, in a unit of work of its own."""

from __future__ import annotations

from pydantic import ValidationError

from recipevault.accounts.passwords import PasswordHasher
from recipevault.accounts.schemas import UserCreate
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.errors import ValidationFailed
from recipevault.registration.service import register_user


async def create_user(
    settings: Settings, *, email: str, name: str, password: str, admin: bool
) -> tuple[int, str]:
    try:
        data = UserCreate(email=email, password=password, display_name=name)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ValidationFailed(f"{first['loc'][0]}: {message}") from None
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            user = await register_user(
                session,
                data=data,
                hasher=PasswordHasher.from_settings(settings),
                registration_open=True,
                ip=None,
                admin=admin,
            )
            await session.commit()
            return user.id, user.role.value
    finally:
        await database.dispose()
