"""Revisions with their differences and restore, moving to the trash after a confirmation, and
the trash with restore; driven as a browser without JavaScript would."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.recipes import service
from recipevault.recipes.schemas import IngredientIn, RecipeUpdate
from tests.recipes.pages_support import browser_for, make_recipe, pancakes, text_of
from tests.support.html import flashes
from tests.support.world import World, actor_for


async def _edit(session: AsyncSession, world: World, recipe_id: int, data: RecipeUpdate) -> None:
    await service.update_recipe(
        session,
        actor=await actor_for(session, world.owner),
        recipe_id=recipe_id,
        data=data,
        partial=True,
        if_match=None,
    )
    await session.flush()


async def test_revisions_show_what_each_edit_changed(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    await _edit(session, world, recipe.id, RecipeUpdate(title="Blueberry pancakes"))
    lines = [
        IngredientIn(text="2 cups all-purpose flour", section="Batter"),
        IngredientIn(text="1 1/2 cups whole milk"),
        IngredientIn(text="2 large eggs"),
        IngredientIn(text="2 tbsp maple syrup", section="Topping"),
    ]
    await _edit(session, world, recipe.id, RecipeUpdate(ingredients=lines, tags=["breakfast"]))
    await browser_for(client, world.owner)
    response = await client.get(f"/recipes/{recipe.slug}/revisions")
    assert response.status_code == 200
    words = text_of(response.text)
    assert "Version 3 is current." in words
    newest = words[words.index("Version 3 Current") : words.index("Version 2 ")]
    assert "Olive Owner" in newest
    assert "Ingredients Batter: 2 cups all-purpose flour" in newest
    assert "Removed: 1 1/2 cups buttermilk Added: 1 1/2 cups whole milk" in newest
    assert "Tags breakfast Removed: quick" in newest
    assert "Title" not in newest
    older = words[words.index("Version 2 ") :]
    assert "Title Removed: Buttermilk Pancakes Added: Blueberry pancakes" in older
    # The changed word is marked inside the changed line.
    assert "<del>1 1/2 cups <mark>buttermilk</mark></del>" in response.text
    assert f'action="/recipes/{recipe.slug}/revisions/1/restore"' in response.text


async def test_restoring_a_revision_adds_a_version(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    await _edit(session, world, recipe.id, RecipeUpdate(title="Renamed"))
    token = await browser_for(client, world.owner)
    response = await client.post(
        f"/recipes/{recipe.slug}/revisions/1/restore", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/recipes/{recipe.slug}"
    page = await client.get(response.headers["location"])
    assert flashes(page.text) == ["Version 1 is back, saved as version 3."]
    assert '<h1 id="recipe-title">Buttermilk Pancakes</h1>' in page.text


async def test_history_is_for_editors(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    assert (await client.get(f"/recipes/{recipe.slug}/revisions")).status_code == 303
    await browser_for(client, world.outsider)
    assert (await client.get(f"/recipes/{recipe.slug}/revisions")).status_code == 403


async def test_move_to_trash_asks_first_then_restore(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    token = await browser_for(client, world.owner)
    confirm = await client.get(f"/recipes/{recipe.slug}/delete")
    assert confirm.status_code == 200
    assert "Move “Buttermilk Pancakes” to the trash?" in confirm.text
    assert f'<form method="post" action="/recipes/{recipe.slug}/delete">' in confirm.text
    # Looking at the question changes nothing.
    assert (await client.get(f"/recipes/{recipe.slug}")).status_code == 200

    moved = await client.post(f"/recipes/{recipe.slug}/delete", data={"csrf_token": token})
    assert moved.status_code == 303
    assert moved.headers["location"] == "/recipes/trash"
    trash = await client.get("/recipes/trash")
    assert flashes(trash.text) == [
        "“Buttermilk Pancakes” is in the trash. Restore it within 30 days."
    ]
    assert "Buttermilk Pancakes" in text_of(trash.text)
    assert (await client.get(f"/recipes/{recipe.slug}")).status_code == 404

    restored = await client.post(f"/recipes/{recipe.slug}/restore", data={"csrf_token": token})
    assert restored.status_code == 303
    assert restored.headers["location"] == f"/recipes/{recipe.slug}"
    assert (await client.get(f"/recipes/{recipe.slug}")).status_code == 200
    assert "The trash is empty." in (await client.get("/recipes/trash")).text


async def test_trash_needs_a_signed_in_person_and_the_form_token(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    assert (await client.get("/recipes/trash")).status_code == 303
    await browser_for(client, world.owner)
    assert (await client.post(f"/recipes/{recipe.slug}/delete")).status_code == 403
    assert (await client.get(f"/recipes/{recipe.slug}")).status_code == 200
