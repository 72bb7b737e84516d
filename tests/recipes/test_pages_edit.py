"""The recipe form without JavaScript: creating, the row buttons, refused input, editing, and an
edit that crosses someone else's."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.households import service as households
from recipevault.recipes import documents, page_reads, service
from recipevault.recipes.schemas import RecipeUpdate
from tests.recipes.pages_support import browser_for, input_values, make_recipe, pancakes, text_of
from tests.support.html import field_error, flashes, form_error
from tests.support.world import World, actor_for

NEW_RECIPE: dict[str, Any] = {
    "title": "Apple pie",
    "description": "A double-crust pie.",
    "servings": "8",
    "prep_minutes": "40",
    "cook_minutes": "50",
    "total_minutes": "",
    "yield_text": "",
    "ingredient_section": ["Crust", "", "", "Filling", ""],
    "ingredient_text": ["2 1/2 cups flour", "1 cup butter", "", "6 apples", "3/4 cup sugar"],
    "step_section": ["", ""],
    "step_text": ["Make the crust.", "Fill and bake."],
    "step_timer": ["", "50"],
    "notes": "Best the next day.",
    "tags": "dessert, baking, Dessert",
    "categories": "Pies",
    "rating": "5",
    "visibility": "public",
    "source_url": "",
    "attribution": "",
}


async def _post(
    client: httpx.AsyncClient, path: str, token: str, form: dict[str, Any], action: str = "save"
) -> httpx.Response:
    return await client.post(path, data={"csrf_token": token, "action": action, **form})


async def _document(session: AsyncSession, slug: str) -> dict[str, Any]:
    recipe_id = await page_reads.recipe_id_for_slug(session, slug=slug)
    stored = await documents.stored_recipe(session, recipe_id)
    assert stored is not None
    return dict(orjson.loads(stored.body))


def _loaded_form(page: str) -> dict[str, Any]:
    """Every field of the recipe form as the page fills it in."""
    names = (
        *("title", "description", "servings", "yield_text", "etag", "version", "notes"),
        *("prep_minutes", "cook_minutes", "total_minutes", "tags", "categories"),
        *("ingredient_section", "ingredient_text", "step_section", "step_text", "step_timer"),
    )
    return {
        name: values if name.startswith(("ingredient_", "step_")) else values[0]
        for name in names
        if (values := input_values(page, name))
    }


async def test_new_recipe_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    response = await client.get("/recipes/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frecipes%2Fnew"


async def test_create_a_recipe_with_sections(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    token = await browser_for(client, world.owner)
    blank = await client.get("/recipes/new")
    assert blank.status_code == 200
    assert '<label for="recipe-title">Title</label>' in blank.text
    assert input_values(blank.text, "ingredient_text") == [""]

    response = await _post(client, "/recipes/new", token, NEW_RECIPE)
    assert response.status_code == 303, field_error(response.text, "recipe-title")
    assert response.headers["location"] == "/recipes/apple-pie"
    page = await client.get("/recipes/apple-pie")
    assert flashes(page.text) == ["“Apple pie” is saved."]

    document = await _document(session, "apple-pie")
    assert [(line["section"], line["text"]) for line in document["ingredients"]] == [
        ("Crust", "2 1/2 cups flour"),
        ("Crust", "1 cup butter"),
        ("Filling", "6 apples"),
        ("Filling", "3/4 cup sugar"),
    ]
    assert [step["timer_minutes"] for step in document["steps"]] == [None, 50]
    assert document["tags"] == ["dessert", "baking"]
    assert document["total_minutes"] == 90
    assert document["visibility"] == "public"
    assert document["rating"] == 5


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            "add-ingredient",
            ["2 1/2 cups flour", "1 cup butter", "", "6 apples", "3/4 cup sugar", ""],
        ),
        ("remove-ingredient-1", ["2 1/2 cups flour", "", "6 apples", "3/4 cup sugar"]),
        ("up-ingredient-3", ["2 1/2 cups flour", "1 cup butter", "6 apples", "", "3/4 cup sugar"]),
        (
            "down-ingredient-0",
            ["1 cup butter", "2 1/2 cups flour", "", "6 apples", "3/4 cup sugar"],
        ),
        ("up-ingredient-0", ["2 1/2 cups flour", "1 cup butter", "", "6 apples", "3/4 cup sugar"]),
        (
            "remove-ingredient-99",
            ["2 1/2 cups flour", "1 cup butter", "", "6 apples", "3/4 cup sugar"],
        ),
    ],
)
async def test_row_buttons_work_without_javascript(
    client: httpx.AsyncClient, world: World, action: str, expected: list[str]
) -> None:
    token = await browser_for(client, world.owner)
    response = await _post(client, "/recipes/new", token, NEW_RECIPE, action=action)
    assert response.status_code == 200
    assert input_values(response.text, "ingredient_text") == expected
    # Everything else typed is kept, and nothing was saved or complained about.
    assert input_values(response.text, "title") == ["Apple pie"]
    assert input_values(response.text, "step_text") == ["Make the crust.", "Fill and bake."]
    assert input_values(response.text, "tags") == ["dessert, baking, Dessert"]
    assert form_error(response.text) is None
    assert (await client.get("/recipes/apple-pie")).status_code == 404


async def test_step_rows_move_with_their_section_and_timer(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await browser_for(client, world.owner)
    response = await _post(client, "/recipes/new", token, NEW_RECIPE, action="up-step-1")
    assert input_values(response.text, "step_text") == ["Fill and bake.", "Make the crust."]
    assert input_values(response.text, "step_timer") == ["50", ""]
    added = await _post(client, "/recipes/new", token, NEW_RECIPE, action="add-step")
    assert input_values(added.text, "step_text") == ["Make the crust.", "Fill and bake.", ""]
    # Each row's buttons name it, for screen readers and for the server.
    assert 'value="remove-step-2"' in added.text
    assert 'formaction="/recipes/new#steps-editor"' in added.text


async def test_refused_input_is_kept_with_messages_beside_fields(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await browser_for(client, world.owner)
    form = NEW_RECIPE | {
        "title": "  ",
        "servings": "a few",
        "source_url": "ftp://example.org/pie",
        "step_timer": ["soon", "50"],
        "ingredient_text": ["2 1/2 cups flour", "x" * 501, "", "6 apples", "3/4 cup sugar"],
    }
    response = await _post(client, "/recipes/new", token, form)
    assert response.status_code == 400
    assert form_error(response.text).startswith("The recipe was not saved")  # type: ignore[union-attr]
    assert field_error(response.text, "recipe-title") == "This field is required."
    assert field_error(response.text, "recipe-servings") == "Enter a number."
    assert field_error(response.text, "recipe-source-url") == (
        "Must be an http:// or https:// address."
    )
    assert field_error(response.text, "step-0-timer") == "Enter a whole number."
    assert field_error(response.text, "ingredient-1-text") == "Use at most 500 characters."
    assert 'aria-describedby="recipe-servings-error" aria-invalid="true"' in response.text
    assert input_values(response.text, "servings") == ["a few"]
    assert input_values(response.text, "description") == ["A double-crust pie."]
    assert input_values(response.text, "step_timer") == ["soon", "50"]


async def test_tag_suggestions_come_from_the_households_tags(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await make_recipe(session, world.owner, pancakes(household_id=world.household.id))
    await browser_for(client, world.member)
    page = (await client.get("/recipes/new")).text
    suggestions = re.search(r'<datalist id="tag-suggestions"[^>]*>(.*?)</datalist>', page, re.S)
    assert suggestions
    assert re.findall(r'value="([^"]+)"', suggestions.group(1)) == ["breakfast", "quick"]
    assert 'list="tag-suggestions"' in page
    # Members of two households choose where the recipe goes.
    assert '<select id="recipe-household-id" name="household_id"' in page


async def test_edit_a_recipe_and_keep_a_revision(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    token = await browser_for(client, world.owner)
    page = await client.get(f"/recipes/{recipe.slug}/edit")
    assert page.status_code == 200
    assert input_values(page.text, "title") == ["Buttermilk Pancakes"]
    assert input_values(page.text, "ingredient_section") == ["Batter", "", "", "Topping"]
    assert input_values(page.text, "tags") == ["breakfast, quick"]
    assert input_values(page.text, "version") == ["1"]
    etag = input_values(page.text, "etag")[0]
    assert etag.startswith('"')

    form = {
        **{name: input_values(page.text, name)[0] for name in ("title", "servings", "etag")},
        "version": "1",
        "description": "Fluffier with a spoon of sugar.",
        "ingredient_section": input_values(page.text, "ingredient_section"),
        "ingredient_text": input_values(page.text, "ingredient_text"),
        "step_section": input_values(page.text, "step_section"),
        "step_text": input_values(page.text, "step_text"),
        "step_timer": input_values(page.text, "step_timer"),
        "tags": "breakfast",
        "visibility": "public",
    }
    response = await _post(client, f"/recipes/{recipe.slug}/edit", token, form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/recipes/{recipe.slug}"
    document = await _document(session, recipe.slug)
    assert document["version"] == 2
    assert document["description"] == "Fluffier with a spoon of sugar."
    assert document["tags"] == ["breakfast"]
    # Fields the form leaves out are kept.
    assert document["nutrition"] == {"calories": "240 kcal", "protein_content": "7 g"}
    assert [line["section"] for line in document["ingredients"]] == [
        "Batter",
        "Batter",
        "Batter",
        "Topping",
    ]
    assert "Your changes are saved." in text_of(
        (await client.get(response.headers["location"])).text
    )


async def test_a_recipe_whose_household_was_deleted_can_be_edited(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    owner = await actor_for(session, world.owner)
    cabin = await households.create_household(session, actor=owner, name="Cabin", ip=None)
    recipe = await make_recipe(
        session, world.owner, pancakes(visibility="household", household_id=cabin.household.id)
    )
    owner = await actor_for(session, world.owner)
    await households.leave_household(session, actor=owner, household_id=cabin.household.id, ip=None)
    await session.flush()
    assert (await _document(session, recipe.slug))["household"] is None

    token = await browser_for(client, world.owner)
    page = await client.get(f"/recipes/{recipe.slug}/edit")
    assert page.status_code == 200
    form = {
        name: input_values(page.text, name)
        for name in ("etag", "version", "tags", "ingredient_section", "ingredient_text")
    }
    response = await _post(
        client, f"/recipes/{recipe.slug}/edit", token, {**form, "title": "Cabin pancakes"}
    )
    assert response.status_code == 303, form_error(response.text)
    document = await _document(session, recipe.slug)
    assert document["title"] == "Cabin pancakes"
    personal = await households.personal_household_id(session, world.owner.id)
    assert document["household"]["id"] == personal
    assert document["tags"] == ["breakfast", "quick"]


async def test_editing_is_for_editors_only(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(
        session,
        world.owner,
        pancakes(visibility="household", household_id=world.household.id),
    )
    await browser_for(client, world.member)
    assert (await client.get(f"/recipes/{recipe.slug}/edit")).status_code == 403
    await browser_for(client, world.outsider)
    assert (await client.get(f"/recipes/{recipe.slug}/edit")).status_code == 404


async def test_saving_over_a_newer_version_shows_both_changes(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    token = await browser_for(client, world.owner)
    page = (await client.get(f"/recipes/{recipe.slug}/edit")).text
    loaded = _loaded_form(page)
    # Meanwhile, someone else (here the owner through the API) changes the title and notes.
    await service.update_recipe(
        session,
        actor=await actor_for(session, world.owner),
        recipe_id=recipe.id,
        data=RecipeUpdate(title="Pancakes for a crowd", notes="Double it.", servings=Decimal(8)),
        partial=True,
        if_match=None,
    )
    await session.flush()

    mine = loaded | {"description": "Now with blueberries.", "notes": "Use frozen berries."}
    conflict = await _post(client, f"/recipes/{recipe.slug}/edit", token, mine)
    assert conflict.status_code == 409
    words = text_of(conflict.text)
    theirs = words[words.index("What changed since") : words.index("Your changes ")]
    assert "Title Removed: Buttermilk Pancakes Added: Pancakes for a crowd" in theirs
    assert "Servings Removed: 4 Added: 8" in theirs
    yours = words[words.index("Your changes ") : words.index("on top of version")]
    assert "Description" in yours
    assert "Now with blueberries." in yours
    assert "You both changed notes." in words
    # The form: their title and servings, your description and notes, the current version.
    assert input_values(conflict.text, "title") == ["Pancakes for a crowd"]
    assert input_values(conflict.text, "servings") == ["8"]
    assert input_values(conflict.text, "description") == ["Now with blueberries."]
    assert input_values(conflict.text, "notes") == ["Use frozen berries."]
    assert input_values(conflict.text, "version") == ["2"]
    assert (await _document(session, recipe.slug))["description"] == (
        "Fluffy, and ready in half an hour."
    )

    merged = {
        name: values if name.startswith(("ingredient_", "step_")) else values[0]
        for name in loaded
        if (values := input_values(conflict.text, name))
    }
    saved = await _post(client, f"/recipes/{recipe.slug}/edit", token, merged)
    assert saved.status_code == 303
    document = await _document(session, recipe.slug)
    assert (document["title"], document["description"], document["notes"]) == (
        "Pancakes for a crowd",
        "Now with blueberries.",
        "Use frozen berries.",
    )
    assert document["servings"] == 8
    assert document["version"] == 3


@pytest.mark.parametrize("version", [str(2**31), str(2**64), "9" * 5000, "-1", "one"])
async def test_a_stale_edit_from_a_version_that_names_none_still_shows_the_conflict(
    client: httpx.AsyncClient, session: AsyncSession, world: World, version: str
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    token = await browser_for(client, world.owner)
    form = {"title": "Mine", "etag": '"not-the-current-one"', "version": version}
    conflict = await _post(client, f"/recipes/{recipe.slug}/edit", token, form)
    assert conflict.status_code == 409, conflict.text
    assert input_values(conflict.text, "title") == ["Mine"]


async def test_form_posts_need_the_session_token(client: httpx.AsyncClient, world: World) -> None:
    await browser_for(client, world.owner)
    response = await client.post("/recipes/new", data={"action": "save", **NEW_RECIPE})
    assert response.status_code == 403


async def test_a_derived_total_is_left_empty_in_the_form_and_follows_the_times(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())  # 10 + 20 min, no total
    token = await browser_for(client, world.owner)
    page = (await client.get(f"/recipes/{recipe.slug}/edit")).text
    assert input_values(page, "prep_minutes") == ["10"]
    assert input_values(page, "total_minutes") == [""]
    form = _loaded_form(page) | {"prep_minutes": "25"}
    assert (await _post(client, f"/recipes/{recipe.slug}/edit", token, form)).status_code == 303
    document = await _document(session, recipe.slug)
    assert (document["total_minutes"], document["total_minutes_given"]) == (45, False)


async def test_a_total_given_in_the_form_stays_when_the_times_change(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    token = await browser_for(client, world.owner)
    page = (await client.get(f"/recipes/{recipe.slug}/edit")).text
    rested = _loaded_form(page) | {"total_minutes": "90"}  # the batter rests an hour
    assert (await _post(client, f"/recipes/{recipe.slug}/edit", token, rested)).status_code == 303
    page = (await client.get(f"/recipes/{recipe.slug}/edit")).text
    assert input_values(page, "total_minutes") == ["90"]
    faster = _loaded_form(page) | {"cook_minutes": "15"}
    assert (await _post(client, f"/recipes/{recipe.slug}/edit", token, faster)).status_code == 303
    document = await _document(session, recipe.slug)
    assert (document["cook_minutes"], document["total_minutes"]) == (15, 90)
    assert document["total_minutes_given"] is True
