"""What the shopping lists' tests share: a list (people, a household and their headers are
``world`` and ``as_``, shared by every test)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.world import HeadersFor as HeadersFor  # for the tests here to import
from tests.support.world import World

LISTS = "/api/v1/shopping-lists"


@pytest.fixture
async def list_id(client: httpx.AsyncClient, world: World, as_: HeadersFor) -> int:
    """A list of the shared household, made by its owner."""
    created = await client.post(
        LISTS, json={"household_id": world.household.id, "name": "Weekly"}, headers=as_("owner")
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])
