"""The recipe pages people read: home, browse and search, a recipe, cook mode; driven as a browser
without JavaScript would, plus the htmx requests the page makes when it has JavaScript."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts.models import UnitSystem
from recipevault.policy import Visibility
from recipevault.recipes import service
from recipevault.recipes.page_views import PAGE_SIZE
from recipevault.recipes.schemas import IngredientIn, RecipeUpdate, StepIn
from tests.recipes.pages_support import (
    HTMX,
    QueryCounter,
    browser_for,
    make_recipe,
    pancakes,
    text_of,
)
from tests.support.world import World, actor_for


def _titles(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", title)
        for title in re.findall(r'<h3 class="recipe-card__title">(.*?)</h3>', page, flags=re.S)
    ]


# --- Browse and search --------------------------------------------------------------------------


async def test_visitors_browse_public_recipes_only(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await make_recipe(session, world.owner, pancakes())
    await make_recipe(session, world.owner, pancakes(title="Secret stew", visibility="private"))
    await make_recipe(
        session,
        world.owner,
        pancakes(title="Flat soup", visibility="household", household_id=world.household.id),
    )
    response = await client.get("/recipes")
    assert response.status_code == 200
    assert _titles(response.text) == ["Buttermilk Pancakes"]
    assert 'name="q"' in response.text
    assert "New recipe" not in response.text

    await browser_for(client, world.member)
    member_view = await client.get("/recipes")
    assert sorted(_titles(member_view.text)) == ["Buttermilk Pancakes", "Flat soup"]
    assert 'href="/recipes/new"' in member_view.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "soup"}, ["Tomato soup"]),
        ({"tag": "quick"}, ["Buttermilk Pancakes"]),
        ({"tag": ["quick", "breakfast"]}, ["Buttermilk Pancakes"]),
        ({"category": "Soups"}, ["Tomato soup"]),
        ({"food": "tomato"}, ["Tomato soup"]),
        ({"max_total_minutes": "25"}, ["Tomato soup"]),
        ({"sort": "title"}, ["Buttermilk Pancakes", "Tomato soup"]),
        ({"sort": "total_time"}, ["Tomato soup", "Buttermilk Pancakes"]),
        ({"q": "", "tag": ["", "quick"], "sort": ""}, ["Buttermilk Pancakes"]),
    ],
)
async def test_search_and_filters(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    params: dict[str, str | list[str]],
    expected: list[str],
) -> None:
    await make_recipe(session, world.owner, pancakes())
    await make_recipe(
        session,
        world.owner,
        pancakes(
            title="Tomato soup",
            tags=["soup"],
            categories=["Soups"],
            prep_minutes=5,
            cook_minutes=15,
            ingredients=[IngredientIn(text="6 tomatoes")],
        ),
    )
    response = await client.get("/recipes", params=params)
    assert response.status_code == 200
    assert _titles(response.text) == expected


async def test_more_link_pages_through_with_a_cursor(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    from recipevault.recipes import page_views as pages

    for number in range(pages.PAGE_SIZE + 3):
        await make_recipe(session, world.owner, pancakes(title=f"Recipe {number:02d}"))
    first = await client.get("/recipes", params={"sort": "title"})
    assert len(_titles(first.text)) == pages.PAGE_SIZE
    more = re.search(r'<a class="button button--secondary" href="([^"]+)" rel="next"', first.text)
    assert more, "no More recipes link"
    next_url = more.group(1).replace("&amp;", "&")
    assert "sort=title" in next_url
    assert "cursor=" in next_url

    second = await client.get(next_url)
    assert _titles(second.text) == ["Recipe 24", "Recipe 25", "Recipe 26"]
    assert 'rel="next"' not in second.text

    # With htmx the link appends: only the new cards, and the link's replacement out of band.
    appended = await client.get(next_url, headers=HTMX | {"HX-Target": "recipe-list"})
    assert appended.status_code == 200
    assert "<html" not in appended.text
    assert appended.text.lstrip().startswith('<li class="recipe-card">')
    assert '<div id="more-recipes" hx-swap-oob="true">' in appended.text


async def test_search_as_you_type_swaps_the_results_only(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await make_recipe(session, world.owner, pancakes())
    response = await client.get(
        "/recipes", params={"q": "pancak"}, headers=HTMX | {"HX-Target": "recipe-results"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="recipe-results"')
    assert _titles(response.text) == ["Buttermilk Pancakes"]
    assert '<p class="muted">1 recipe</p>' in response.text
    assert 'hx-swap-oob="innerHTML">1 recipe found.' in response.text
    # The full page carries the htmx wiring for the search box.
    page = (await client.get("/recipes")).text
    assert 'hx-trigger="submit, input changed delay:300ms from:#recipe-q, change"' in page
    assert 'hx-target="#recipe-results"' in page


async def test_bad_filters_are_shown_not_refused(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await make_recipe(session, world.owner, pancakes())
    response = await client.get(
        "/recipes", params={"max_total_minutes": "soon", "sort": "tastiest", "q": "pancakes"}
    )
    assert response.status_code == 400
    assert 'id="filter-time-error"' in response.text
    assert 'id="filter-sort-error"' in response.text
    # What could be used still was: the search ran.
    assert _titles(response.text) == ["Buttermilk Pancakes"]

    stale = await client.get("/recipes", params={"cursor": "not-a-cursor"})
    assert stale.status_code == 200
    assert "out of date" in stale.text
    assert _titles(stale.text) == ["Buttermilk Pancakes"]


# --- One recipe -----------------------------------------------------------------------------------


async def test_recipe_page_shows_the_whole_recipe(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    response = await client.get(f"/recipes/{recipe.slug}")
    assert response.status_code == 200
    page = response.text
    words = text_of(page)
    assert '<h1 id="recipe-title">Buttermilk Pancakes</h1>' in page
    for expected in (
        "Fluffy, and ready in half an hour.",
        "Prep 10 min",
        "Cook 20 min",
        "Total 30 min",
        "Serves 4",
        "Makes 12 pancakes",
        "By Olive Owner",
        "Visible to Everyone",
        "Batter 2 cups all-purpose flour 1 1/2 cups buttermilk 2 large eggs",
        "Topping 2 tbsp maple syrup",
        "Whisk the dry ingredients.",
        "Cook on a hot griddle. Timer 3 min",
        "Calories 240 kcal",
        "Protein 7 g",
        "Wikibooks Cookbook contributors, CC BY-SA 4.0",
    ):
        assert expected in words, expected
    assert '<p class="preserve-lines">Rest the batter.\nIt keeps a day in the fridge.</p>' in page
    assert 'href="/recipes?tag=quick"' in page
    assert 'href="/recipes?category=Brunch"' in page
    assert 'href="https://en.wikibooks.org/wiki/Cookbook:Pancake"' in page
    # Visitors get no editing buttons.
    assert f"/recipes/{recipe.slug}/edit" not in page
    assert f'href="/recipes/{recipe.slug}/cook"' in page
    # Steps are numbered through the sections.
    assert '<ol class="steps" start="2">' in page


async def test_recipe_page_embeds_schema_org_json_ld(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    page = (await client.get(f"/recipes/{recipe.slug}")).text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.S)
    assert found
    data = json.loads(found.group(1))
    assert data["@type"] == "Recipe"
    assert data["name"] == "Buttermilk Pancakes"
    assert data["url"] == f"https://testserver/recipes/{recipe.slug}"
    assert data["prepTime"] == "PT10M"
    assert data["totalTime"] == "PT30M"
    assert data["recipeYield"] == "12 pancakes"
    assert data["recipeIngredient"][0] == "2 cups all-purpose flour"
    assert data["recipeInstructions"][0]["@type"] == "HowToSection"
    assert data["recipeInstructions"][0]["itemListElement"][0]["text"] == (
        "Whisk the dry ingredients."
    )
    assert data["nutrition"] == {
        "@type": "NutritionInformation",
        "calories": "240 kcal",
        "proteinContent": "7 g",
    }
    assert data["author"] == {"@type": "Person", "name": "Olive Owner"}
    assert data["keywords"] == "breakfast, quick"


async def test_servings_and_units_rescale_the_ingredients(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    doubled = text_of((await client.get(f"/recipes/{recipe.slug}?servings=8")).text)
    assert "For 8 servings (the recipe makes 4)" in doubled
    assert "4 cups all-purpose flour" in doubled
    assert "3 cups buttermilk" in doubled
    assert "4 large eggs" in doubled

    metric = text_of((await client.get(f"/recipes/{recipe.slug}?units=metric")).text)
    assert "in metric units" in metric
    assert (
        "250 g all-purpose flour" in metric
    )  # a cup of flour weighs 125 g; 251 g is weighed as 250

    # With htmx, only the ingredient list comes back.
    fragment = await client.get(
        f"/recipes/{recipe.slug}",
        params={"servings": "2", "units": "us"},
        headers=HTMX | {"HX-Target": "ingredient-list"},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="ingredient-list"')
    assert "1 cup all-purpose flour" in text_of(fragment.text)
    assert "<h1" not in fragment.text


async def test_the_scaling_form_works_without_javascript(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    page = (await client.get(f"/recipes/{recipe.slug}")).text
    form = re.search(r'<form class="scale-form" method="get" action="([^"]+)"', page)
    assert form
    assert form.group(1) == f"/recipes/{recipe.slug}"
    assert '<label for="servings">Servings</label>' in page
    assert 'id="units-original" type="radio" name="units" value="original" checked' in page
    assert 'hx-target="#ingredient-list"' in page


async def test_bad_servings_are_explained_beside_the_control(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    response = await client.get(f"/recipes/{recipe.slug}", params={"servings": "lots"})
    assert response.status_code == 400
    assert '<p class="field__error" id="view-error">Enter a number.</p>' in response.text
    assert "2 cups all-purpose flour" in response.text


async def test_signed_in_readers_get_their_units_by_default(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    world.member.unit_system = UnitSystem.METRIC
    await session.flush()
    await browser_for(client, world.member)
    page = (await client.get(f"/recipes/{recipe.slug}")).text
    assert 'id="units-metric" type="radio" name="units" value="metric" checked' in page
    assert "in metric units" in text_of(page)
    as_written = (await client.get(f"/recipes/{recipe.slug}?units=original")).text
    assert "2 cups all-purpose flour" in text_of(as_written)


async def test_new_accounts_read_recipes_as_written(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    await browser_for(client, world.outsider)  # an account that never chose units
    page = (await client.get(f"/recipes/{recipe.slug}")).text
    assert 'id="units-original" type="radio" name="units" value="original" checked' in page
    assert "in metric units" not in text_of(page)
    assert "2 cups all-purpose flour" in text_of(page)
    # The page still converts when asked, and its cook-mode link keeps the choice.
    metric = (await client.get(f"/recipes/{recipe.slug}?units=metric")).text
    assert "250 g all-purpose flour" in text_of(metric)
    assert f'href="/recipes/{recipe.slug}/cook?units=metric"' in metric


async def test_package_sizes_survive_scaling_and_conversion(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    tomatoes = IngredientIn(text="1 (14 oz) can diced tomatoes, drained")
    recipe = await make_recipe(session, world.owner, pancakes(ingredients=[tomatoes]))
    url = f"/recipes/{recipe.slug}"
    assert "1 (14 oz) can diced tomatoes, drained" in text_of((await client.get(url)).text)
    doubled = text_of((await client.get(url, params={"servings": "8"})).text)
    assert "2 (14 oz) cans diced tomatoes, drained" in doubled
    metric = text_of((await client.get(url, params={"servings": "8", "units": "metric"})).text)
    assert "2 (400 g) cans diced tomatoes, drained" in metric
    cook = text_of((await client.get(f"{url}/cook", params={"servings": "8"})).text)
    assert "2 (14 oz) cans diced tomatoes, drained" in cook


async def test_hidden_recipes_are_not_found(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    private = await make_recipe(
        session, world.owner, pancakes(title="Secret", visibility="private")
    )
    shared = await make_recipe(
        session,
        world.owner,
        pancakes(title="Shared", visibility="household", household_id=world.household.id),
    )
    for slug in (private.slug, shared.slug, "no-such-recipe"):
        response = await client.get(f"/recipes/{slug}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
    await browser_for(client, world.member)
    assert (await client.get(f"/recipes/{private.slug}")).status_code == 404
    member_view = await client.get(f"/recipes/{shared.slug}")
    assert member_view.status_code == 200
    assert f"/recipes/{shared.slug}/edit" not in member_view.text  # members read, owners edit
    await browser_for(client, world.owner)
    owner_view = await client.get(f"/recipes/{private.slug}")
    assert owner_view.status_code == 200
    assert f'href="/recipes/{private.slug}/edit"' in owner_view.text


async def test_pages_under_recipes_are_never_shadowed_by_a_slug(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    new = await make_recipe(session, world.owner, pancakes(title="New"))
    trash = await make_recipe(session, world.owner, pancakes(title="Trash"))
    assert (new.slug, trash.slug) == ("new-2", "trash-2")
    assert (await client.get("/recipes/new-2")).status_code == 200


# --- Cook mode ----------------------------------------------------------------------------------


async def test_cook_mode_is_a_large_type_page_with_timers(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    response = await client.get(f"/recipes/{recipe.slug}/cook", params={"servings": "8"})
    assert response.status_code == 200
    page = response.text
    assert '<article class="cook" id="cook"' in page
    assert "/static/js/cook." in page
    assert 'data-timer-minutes="3"' in page
    # Without the script: every step is there, the timer as text, the controls hidden.
    assert "Timer: 3 min" in page
    assert '<div class="cook__controls cluster" hidden data-cook-controls>' in page
    assert "4 cups all-purpose flour" in text_of(page)
    assert f'href="/recipes/{recipe.slug}?servings=8"' in page


async def test_cook_mode_numbers_every_step_itself(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    """One step at a time hides the others, and a hidden list item does not count: each step
    carries its own number, the one "Step N of M" reads from."""
    steps = [
        StepIn(text="Sift.", section="Batter"),
        StepIn(text="Whisk."),
        StepIn(text="Heat the pan.", section="Cooking"),
        StepIn(text="Flip once.", timer_minutes=2),
    ]
    recipe = await make_recipe(session, world.owner, pancakes(steps=steps))
    page = (await client.get(f"/recipes/{recipe.slug}/cook")).text
    items = re.findall(r'<li class="cook__step" value="(\d+)" data-step="(\d+)"', page)
    assert items == [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")]
    assert re.findall(r'<ol class="cook__list" start="(\d+)"', page) == ["1", "3"]


# --- Home -----------------------------------------------------------------------------------------


async def test_home_shows_new_and_highly_rated_public_recipes(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await make_recipe(session, world.owner, pancakes(rating=None))
    await make_recipe(session, world.owner, pancakes(title="Five star soup", rating=5))
    await make_recipe(session, world.owner, pancakes(title="Secret", visibility="private"))
    page = (await client.get("/")).text
    new = page[page.index('id="recent-title"') : page.index('id="popular-title"')]
    popular = page[page.index('id="popular-title"') :]
    assert _titles(new) == ["Five star soup", "Buttermilk Pancakes"]
    assert _titles(popular) == ["Five star soup"]
    assert 'action="/recipes" role="search"' in page


# --- Speed --------------------------------------------------------------------------------------


async def _many(session: AsyncSession, world: World, count: int, prefix: str) -> None:
    for number in range(count):
        await make_recipe(
            session,
            world.owner,
            pancakes(
                title=f"{prefix} {number}",
                tags=[f"tag {number}", "shared"],
                visibility=Visibility.PUBLIC if number % 2 else Visibility.HOUSEHOLD,
                household_id=world.household.id,
            ),
        )


async def test_the_search_page_says_how_many_recipes_match(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await browser_for(client, world.member)
    await _many(session, world, PAGE_SIZE + 5, "Many")
    response = await client.get("/recipes", params={"q": "many"})
    assert len(_titles(response.text)) == PAGE_SIZE
    assert f'<p class="muted">{PAGE_SIZE + 5} recipes</p>' in response.text
    assert f"{PAGE_SIZE + 5} recipes found." in response.text
    # Without words to search for, recipes are not counted.
    assert f"{PAGE_SIZE} or more recipes found." in (await client.get("/recipes")).text


async def test_the_search_page_runs_a_fixed_number_of_queries(
    client: httpx.AsyncClient, session: AsyncSession, world: World, engine: AsyncEngine
) -> None:
    await browser_for(client, world.member)
    counts = []
    for count, prefix in ((5, "Handful"), (20, "Many")):
        await _many(session, world, count, prefix)
        with QueryCounter(engine) as queries:
            response = await client.get("/recipes", params={"q": prefix, "tag": "shared"})
        assert len(_titles(response.text)) == count
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


async def test_the_recipe_page_runs_a_fixed_number_of_queries(
    client: httpx.AsyncClient, session: AsyncSession, world: World, engine: AsyncEngine
) -> None:
    small = await make_recipe(session, world.owner, pancakes(title="Small"))
    lines = [IngredientIn(text=f"{n} g food number {n}", section=f"S{n % 3}") for n in range(1, 21)]
    steps = [StepIn(text=f"Step {n}", timer_minutes=n) for n in range(1, 21)]
    large = await make_recipe(
        session, world.owner, pancakes(title="Large", ingredients=lines, steps=steps)
    )
    anonymous = []
    for recipe in (small, large):
        with QueryCounter(engine) as queries:
            assert (await client.get(f"/recipes/{recipe.slug}")).status_code == 200
        anonymous.append(queries.count)
    # A visitor's recipe page is one read: the stored document, by its slug.
    assert anonymous == [1, 1], anonymous

    await browser_for(client, world.member)
    signed_in = []
    for recipe in (small, large):
        with QueryCounter(engine) as queries:
            assert (await client.get(f"/recipes/{recipe.slug}?servings=9")).status_code == 200
        signed_in.append(queries.count)
    assert signed_in[0] == signed_in[1], signed_in


async def test_recipe_page_for_the_benchmark_answers_a_public_recipe(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    # bench/recipes.py's "page" scenario reads slugs from the list API and GETs each page.
    await make_recipe(session, world.owner, pancakes())
    listed = (await client.get("/api/v1/recipes", params={"limit": 100})).json()["items"]
    for item in listed:
        assert (await client.get(f"/recipes/{item['slug']}")).status_code == 200
    assert Decimal(str(listed[0]["servings"])) == 4


async def test_visitors_share_one_rendering_until_the_recipe_changes(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    recipe = await make_recipe(session, world.owner, pancakes())
    first = await client.get(f"/recipes/{recipe.slug}")
    client.cookies.clear()
    second = await client.get(f"/recipes/{recipe.slug}")
    assert second.status_code == 200
    assert second.content == first.content
    # Nothing in it belongs to one visitor: no form token, no cookie.
    assert 'name="csrf-token" content=""' in second.text
    assert "set-cookie" not in second.headers

    await service.update_recipe(
        session,
        actor=await actor_for(session, world.owner),
        recipe_id=recipe.id,
        data=RecipeUpdate(title="Buttermilk Pancakes for a crowd"),
        partial=True,
        if_match=None,
    )
    await session.flush()
    changed = await client.get(f"/recipes/{recipe.slug}")
    assert "Buttermilk Pancakes for a crowd" in text_of(changed.text)

    # A signed-in reader gets their own page (their name, their form token), never the copy.
    token = await browser_for(client, world.member)
    mine = await client.get(f"/recipes/{recipe.slug}")
    assert f'name="csrf-token" content="{token}"' in mine.text
