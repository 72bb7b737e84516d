"""People and households for tests, made through the services as the app would make them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import tokens
from recipevault.accounts.models import User
from recipevault.accounts.passwords import PasswordHasher
from recipevault.accounts.schemas import UserCreate
from recipevault.config import Settings
from recipevault.households import service as households
from recipevault.households.models import Household, HouseholdMember, MemberRole
from recipevault.households.service import memberships
from recipevault.policy import Actor
from recipevault.registration.service import register_user

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def hasher_for(settings: Settings) -> PasswordHasher:
    return PasswordHasher.from_settings(settings)


class HeldHasher(PasswordHasher):
    """Hashes and checks passwords as the real one does, once let go (``go``); ``working``
    is set when it is asked to."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.working = asyncio.Event()
        self.go = asyncio.Event()

    async def _held(self) -> None:
        self.working.set()
        await self.go.wait()

    async def hash(self, password: str) -> str:
        await self._held()
        return await self.real.hash(password)

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        await self._held()
        return await self.real.verify(password, password_hash)


async def make_user(
    session: AsyncSession,
    settings: Settings,
    *,
    name: str | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    admin: bool = False,
) -> User:
    n = next(_numbers)
    user = await register_user(
        session,
        data=UserCreate(
            email=email or f"person{n}@example.org",
            password=password,
            display_name=name or f"Person {n}",
        ),
        hasher=hasher_for(settings),
        registration_open=True,
        ip="127.0.0.1",
        admin=admin,
    )
    await session.flush()
    return user


async def actor_for(session: AsyncSession, user: User) -> Actor:
    roles = await memberships(session, user.id)

    return Actor(
        user_id=user.id,
        role=user.role,
        household_ids=frozenset(h for h, _ in roles),
        owned_household_ids=frozenset(h for h, r in roles if r == MemberRole.OWNER),
    )


def bearer(user: User, settings: Settings, session: AsyncSession) -> dict[str, str]:
    issued = tokens.issue_tokens(session, user=user, settings=settings)
    return {"Authorization": f"Bearer {issued.access_token}"}


HeadersFor = Callable[[str], dict[str, str]]


@dataclass
class World:
    """An admin; a shared household owned by ``owner`` with ``member`` in it; and an
    ``outsider`` who belongs only to their own personal household."""

    admin: User
    owner: User
    member: User
    outsider: User
    household: Household

    def all(self) -> dict[str, User]:
        return {
            "admin": self.admin,
            "owner": self.owner,
            "member": self.member,
            "outsider": self.outsider,
        }


def headers_for(world: World, settings: Settings, session: AsyncSession) -> HeadersFor:
    """The bearer headers of one of ``world``'s people, by name ("owner", "member" ...)."""
    return lambda name: bearer(world.all()[name], settings, session)


async def make_world(session: AsyncSession, settings: Settings) -> World:
    admin = await make_user(session, settings, name="Ada Admin", admin=True)
    owner = await make_user(session, settings, name="Olive Owner")
    member = await make_user(session, settings, name="Milo Member")
    outsider = await make_user(session, settings, name="Oscar Outsider")
    view = await households.create_household(
        session, actor=await actor_for(session, owner), name="The Flat", ip=None
    )
    session.add(
        HouseholdMember(household_id=view.household.id, user_id=member.id, role=MemberRole.MEMBER)
    )
    await session.flush()
    return World(
        admin=admin, owner=owner, member=member, outsider=outsider, household=view.household
    )


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """A browser session through the API; returns the CSRF token (the cookie is in the jar)."""
    response = await client.post(
        "/api/v1/auth/session", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])
