"""What the shopping lists' tests share: people, a household, a list, and headers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from tests.support.world import World, bearer, make_world

LISTS = "/api/v1/shopping-lists"
HeadersFor = Callable[[str], dict[str, str]]


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> World:
    return await make_world(session, settings)


@pytest.fixture
def as_(session: AsyncSession, settings: Settings, world: World) -> HeadersFor:
    def headers(name: str) -> dict[str, str]:
        return bearer(world.all()[name], settings, session)

    return headers


@pytest.fixture
async def list_id(client: httpx.AsyncClient, world: World, as_: HeadersFor) -> int:
    """A list of the shared household, made by its owner."""
    created = await client.post(
        LISTS, json={"household_id": world.household.id, "name": "Weekly"}, headers=as_("owner")
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])
