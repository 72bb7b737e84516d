"""Registering someone: the account (its rules are the accounts feature's) and the personal
household where their private recipes live (the households feature's), in one unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import service as accounts
from recipevault.accounts.models import User
from recipevault.accounts.passwords import PasswordHasher
from recipevault.accounts.schemas import UserCreate
from recipevault.households import service as households


async def register_user(
    session: AsyncSession,
    *,
    data: UserCreate,
    hasher: PasswordHasher,
    registration_open: bool,
    ip: str | None,
    admin: bool = False,
    demo: bool = False,
) -> User:
    """Create an account and its personal household (see ``accounts.service.create_account``
    for who may register and who becomes the site's admin)."""
    user = await accounts.create_account(
        session,
        data=data,
        hasher=hasher,
        registration_open=registration_open,
        ip=ip,
        admin=admin,
        demo=demo,
    )
    await households.create_personal_household(session, user=user)
    return user
