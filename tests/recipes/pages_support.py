"""Recipes and signed-in browsers for the recipe page tests."""

from __future__ import annotations

import html
import re
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts.models import User
from recipevault.policy import Visibility
from recipevault.recipes import service
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import IngredientIn, Nutrition, RecipeCreate, StepIn
from tests.support.database import statements_run
from tests.support.world import actor_for, sign_in

HTMX = {"HX-Request": "true"}


def pancakes(**changes: Any) -> RecipeCreate:
    values: dict[str, Any] = {
        "title": "Buttermilk Pancakes",
        "description": "Fluffy, and ready in half an hour.",
        "servings": Decimal(4),
        "prep_minutes": 10,
        "cook_minutes": 20,
        "yield_text": "12 pancakes",
        "visibility": Visibility.PUBLIC,
        "rating": 4,
        "tags": ["breakfast", "quick"],
        "categories": ["Brunch"],
        "notes": "Rest the batter.\nIt keeps a day in the fridge.",
        "nutrition": Nutrition(calories="240 kcal", protein_content="7 g"),
        "source_url": "https://en.wikibooks.org/wiki/Cookbook:Pancake",
        "attribution": "Wikibooks Cookbook contributors, CC BY-SA 4.0",
        "ingredients": [
            IngredientIn(text="2 cups all-purpose flour", section="Batter"),
            IngredientIn(text="1 1/2 cups buttermilk"),
            IngredientIn(text="2 large eggs"),
            IngredientIn(text="2 tbsp maple syrup", section="Topping"),
        ],
        "steps": [
            StepIn(text="Whisk the dry ingredients.", section="Batter"),
            StepIn(text="Cook on a hot griddle.", section="Cooking", timer_minutes=3),
        ],
    }
    return RecipeCreate.model_validate(values | changes)


async def make_recipe(session: AsyncSession, owner: User, data: RecipeCreate) -> Recipe:
    recipe = await service.create_recipe(session, actor=await actor_for(session, owner), data=data)
    await session.flush()
    return recipe


async def browser_for(client: httpx.AsyncClient, user: User) -> str:
    """Sign ``client`` in as ``user`` with a browser session; returns the session's CSRF token."""
    return await sign_in(client, user.email)


def text_of(page: str) -> str:
    """The page's visible words, tags removed and spaces collapsed (for "contains" checks)."""
    body = re.sub(r"<script\b.*?</script>|<template\b.*?</template>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def input_values(page: str, name: str) -> list[str]:
    """The values of every input or text area named ``name``, in page order (templates left out)."""
    page = re.sub(r"<template\b.*?</template>", "", page, flags=re.S)
    values = []
    quoted = re.escape(name)
    pattern = (
        rf'<input[^>]*name="{quoted}"[^>]*>|<textarea[^>]*name="{quoted}"[^>]*>(.*?)</textarea>'
    )
    for match in re.finditer(pattern, page, flags=re.S):
        if match.group(0).startswith("<textarea"):
            values.append(html.unescape(match.group(1)))
            continue
        value = re.search(r' value="([^"]*)"', match.group(0))
        values.append(html.unescape(value.group(1)) if value else "")
    return values


class QueryCounter:
    """Counts the SQL statements the test's database runs while it is active (``engine``'s,
    and on SQLite its writer's and reader's: ``statements_run``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self._run: AbstractContextManager[list[str]] | None = None

    def __enter__(self) -> QueryCounter:
        # Savepoints are the test harness's, not the page's.
        self._run = statements_run(
            self.engine, lambda statement: "SAVEPOINT" not in statement.upper()
        )
        self.statements = self._run.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._run is not None
        self._run.__exit__(None, None, None)

    @property
    def count(self) -> int:
        return len(self.statements)
