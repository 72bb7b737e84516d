"""Recipe text is the author's, shown to everyone: every page escapes it, and the JSON-LD block
cannot be closed early by it."""

from __future__ import annotations

import json
import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.recipes import service
from recipevault.recipes.schemas import IngredientIn, Nutrition, RecipeCreate, RecipeUpdate, StepIn
from tests.recipes.pages_support import HTMX, browser_for, make_recipe
from tests.support.world import actor_for, make_world

XSS = "<script>alert(1)</script>"


def _hostile() -> RecipeCreate:
    return RecipeCreate(
        title=f"Soup {XSS}",
        description=f"Hot {XSS} & good",
        servings=4,
        yield_text=XSS,
        notes=f"First line {XSS}\nsecond line </script><script>alert(2)</script>",
        tags=[XSS, "soup"],
        categories=[XSS],
        tools=[XSS],
        source_url='https://example.org/"><script>alert(1)</script>',
        attribution=f"By {XSS}",
        visibility="public",
        nutrition=Nutrition(calories=XSS),
        ingredients=[
            IngredientIn(text=f"2 cups {XSS}", section=XSS),
            IngredientIn(text=f"1 onion {XSS}"),
        ],
        steps=[StepIn(text=f"Stir {XSS}", section=XSS, timer_minutes=5)],
    )


def _assert_escaped(page: str, where: str) -> None:
    body = re.sub(
        r'<script type="application/ld\+json">.*?</script>', "", page, count=1, flags=re.S
    )
    assert "<script>alert" not in body, f"unescaped script on {where}"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, f"the text is missing on {where}"


async def test_no_page_lets_recipe_text_run_as_script(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    recipe = await make_recipe(session, world.owner, _hostile())
    await service.update_recipe(
        session,
        actor=await actor_for(session, world.owner),
        recipe_id=recipe.id,
        data=RecipeUpdate(description=f"Changed {XSS}", steps=[StepIn(text=f"Boil {XSS}")]),
        partial=True,
        if_match=None,
    )
    await session.flush()
    slug = recipe.slug
    public_pages = [
        "/",
        "/recipes",
        "/recipes?q=soup",
        f"/recipes?tag={XSS}",
        f"/recipes/{slug}",
        f"/recipes/{slug}?servings=8&units=metric",
        f"/recipes/{slug}/cook",
    ]
    for path in public_pages:
        response = await client.get(path)
        assert response.status_code == 200, path
        _assert_escaped(response.text, path)
    fragment = await client.get(
        "/recipes", params={"q": "soup"}, headers=HTMX | {"HX-Target": "recipe-results"}
    )
    _assert_escaped(fragment.text, "the search results fragment")

    await browser_for(client, world.owner)
    for path in (f"/recipes/{slug}/edit", f"/recipes/{slug}/revisions", f"/recipes/{slug}/delete"):
        response = await client.get(path)
        assert response.status_code == 200, path
        _assert_escaped(response.text, path)


async def test_json_ld_cannot_close_its_script_element(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    recipe = await make_recipe(session, world.owner, _hostile())
    page = (await client.get(f"/recipes/{recipe.slug}")).text
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.S)
    assert len(blocks) == 1
    raw = blocks[0]
    assert "<" not in raw
    assert ">" not in raw
    assert "&" not in raw
    assert "\\u003c/script\\u003e" in raw
    data = json.loads(raw)
    assert data["name"] == f"Soup {XSS}"
    assert data["description"] == f"Hot {XSS} & good"
    assert data["recipeIngredient"] == [f"2 cups {XSS}", f"1 onion {XSS}"]
