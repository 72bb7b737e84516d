"""What the planner's tests share: recipes to plan, slots and a way to plan (people, a household
and their headers are ``world`` and ``as_``, shared by every test)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import RecipeCreate
from tests.support.world import HeadersFor as HeadersFor  # for the tests here to import
from tests.support.world import World, actor_for

PLAN = "/api/v1/meal-plan"
Plan = Callable[..., Awaitable[httpx.Response]]


async def make_recipe(
    session: AsyncSession,
    world: World,
    *,
    title: str = "Lentil soup",
    servings: int | None = 4,
    visibility: Visibility = Visibility.HOUSEHOLD,
    owner: str = "owner",
) -> Recipe:
    """A recipe of ``owner``'s in the shared household (or in theirs, for the outsider)."""
    user = world.all()[owner]
    actor = await actor_for(session, user)
    household_id = world.household.id if owner != "outsider" else None
    return await recipes.create_recipe(
        session,
        actor=actor,
        data=RecipeCreate(
            title=title,
            visibility=visibility,
            household_id=household_id,
            servings=None if servings is None else Decimal(servings),
        ),
    )


@pytest.fixture
async def slots(client: httpx.AsyncClient, world: World, as_: HeadersFor) -> dict[str, int]:
    """The shared household's (default) slots by name."""
    listed = await client.get(
        f"/api/v1/households/{world.household.id}/meal-slots", headers=as_("member")
    )
    return {slot["name"]: slot["id"] for slot in listed.json()}


@pytest.fixture
def plan(client: httpx.AsyncClient, world: World, as_: HeadersFor, slots: dict[str, int]) -> Plan:
    """POST an entry as someone: for the shared household, on 2026-12-07 at dinner unless
    told otherwise."""

    async def post(who: str, *, slot: str = "Dinner", **body: Any) -> httpx.Response:
        sent = {
            "household_id": world.household.id,
            "date": "2026-12-07",
            "slot_id": slots[slot],
            **body,
        }
        return await client.post(PLAN, json=sent, headers=as_(who))

    return post
