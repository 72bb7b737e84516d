"""Listing, filtering, keyset paging, full-text search and cook-with."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.policy import Visibility
from recipevault.recipes import listing, service
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, StepIn
from tests.support.database import DatabaseFactory, own_database, plans_made, statements_run
from tests.support.world import World, actor_for, bearer, make_world

BASE = "/api/v1/recipes"


def _recipe(title: str, ingredients: list[str], **fields: Any) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        ingredients=[IngredientIn(text=line) for line in ingredients],
        steps=[StepIn(text=step) for step in fields.pop("steps", ["Cook it."])],
        **fields,
    )


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> World:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    recipes = [
        _recipe(
            "Tomato soup",
            ["4 tomatoes", "1 onion", "2 cups stock", "salt to taste"],
            tags=["soup", "vegetarian"],
            total_minutes=30,
            rating=4,
            steps=["Simmer the tomatoes with the onion."],
        ),
        _recipe(
            "Garlic bread",
            ["1 baguette", "4 cloves garlic", "50 g butter"],
            tags=["side"],
            total_minutes=15,
            rating=5,
        ),
        _recipe(
            "Pancakes",
            ["2 cups flour", "2 eggs", "1 cup milk", "1 tbsp sugar"],
            tags=["breakfast", "vegetarian"],
            categories=["Brunch"],
            total_minutes=20,
        ),
        _recipe(
            "Chocolate cake",
            ["2 cups flour", "3 eggs", "200 g chocolate", "1 cup sugar", "100 g butter"],
            tags=["dessert"],
            total_minutes=75,
            rating=3,
            description="Dark, dense and rich.",
        ),
        _recipe(
            "Secret stew",
            ["500 g beef", "2 potatoes"],
            visibility=Visibility.PRIVATE,
            total_minutes=180,
        ),
    ]
    for data in recipes:
        await service.create_recipe(session, actor=owner, data=data)
    await session.flush()
    return world


async def _titles(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(BASE, params=params, headers=params.pop("headers", None))
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_visitors_see_public_recipes_newest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    assert await _titles(client) == ["Chocolate cake", "Pancakes", "Garlic bread", "Tomato soup"]


async def test_owner_also_sees_private(
    client: httpx.AsyncClient, world: World, session: AsyncSession, settings: Settings
) -> None:
    response = await client.get(BASE, headers=bearer(world.owner, settings, session))
    assert "Secret stew" in [i["title"] for i in response.json()["items"]]
    outsider = await client.get(BASE, headers=bearer(world.outsider, settings, session))
    assert "Secret stew" not in [i["title"] for i in outsider.json()["items"]]


async def test_summary_shape(client: httpx.AsyncClient, world: World) -> None:
    item = (await client.get(BASE, params={"limit": 1})).json()["items"][0]
    assert item["owner"] == {"id": world.owner.id, "display_name": "Olive Owner"}
    assert set(item) >= {"id", "slug", "title", "description", "total_minutes", "rating", "tags"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tag": "vegetarian"}, ["Pancakes", "Tomato soup"]),
        ({"tag": ["vegetarian", "soup"]}, ["Tomato soup"]),
        ({"category": "brunch"}, ["Pancakes"]),
        ({"food": "egg"}, ["Chocolate cake", "Pancakes"]),
        ({"food": "Tomatoes"}, ["Tomato soup"]),
        ({"food": "flour", "exclude_food": "chocolate"}, ["Pancakes"]),
        ({"max_total_minutes": 20}, ["Pancakes", "Garlic bread"]),
        ({"min_rating": 4}, ["Garlic bread", "Tomato soup"]),
        ({"sort": "title"}, ["Chocolate cake", "Garlic bread", "Pancakes", "Tomato soup"]),
        ({"sort": "total_time"}, ["Garlic bread", "Pancakes", "Tomato soup", "Chocolate cake"]),
        ({"sort": "rating"}, ["Garlic bread", "Tomato soup", "Chocolate cake", "Pancakes"]),
    ],
)
async def test_filters_and_sorts(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], expected: list[str]
) -> None:
    assert await _titles(client, **params) == expected


@pytest.mark.parametrize("sort", ["created", "updated", "title", "total_time", "rating"])
async def test_keyset_pages_cover_everything_once(
    client: httpx.AsyncClient, world: World, sort: str
) -> None:
    everything = await _titles(client, sort=sort, limit=100)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"sort": sort, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(BASE, params=params)).json()
        seen += [item["title"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == everything


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("tomato", "Tomato soup"),
        ("chocolate", "Chocolate cake"),
        ("garl", "Garlic bread"),
        ("dense", "Chocolate cake"),
        ("simmer", "Tomato soup"),
        ("eggs flour", None),
    ],
)
async def test_full_text_search(
    client: httpx.AsyncClient, world: World, query: str, first: str | None
) -> None:
    titles = await _titles(client, q=query)
    if first is None:
        assert set(titles) == {"Pancakes", "Chocolate cake"}
    else:
        assert titles[0] == first


async def test_words_match_whole_and_the_last_one_as_typed_when_nothing_else_does(
    client: httpx.AsyncClient, world: World, session: AsyncSession, settings: Settings
) -> None:
    outsider = await actor_for(session, world.outsider)
    await service.create_recipe(
        session, actor=outsider, data=_recipe("Breadcrumb chicken", ["1 chicken"])
    )
    # A whole word only the outsider's private recipe has must not stop the typed form for
    # others: what a search falls back to never depends on recipes the viewer cannot see.
    await service.create_recipe(
        session,
        actor=outsider,
        data=_recipe("Chick pie", ["1 carrot"], visibility=Visibility.PRIVATE),
    )
    await session.flush()

    # "bread" is a word of its own (Garlic bread): whole words only.
    assert await _titles(client, q="bread") == ["Garlic bread"]
    assert await _titles(client, q="breads") == ["Garlic bread"]  # stemmed
    # No recipe has the word "breadc": the last word is taken as typed so far. Found that way,
    # it is not corrected either: PostgreSQL adds no titles close to it by trigrams.
    assert await _titles(client, q="breadc") == ["Breadcrumb chicken"]
    assert (await _titles(client, q="garlic bre"))[0] == "Garlic bread"
    assert (await _titles(client, q="chick"))[0] == "Breadcrumb chicken"
    assert "Breadcrumb chicken" in await _titles(client, q="chick", sort="title")
    outsider_token = bearer(world.outsider, settings, session)
    assert (await _titles(client, q="chick", headers=outsider_token))[0] == "Chick pie"


async def test_search_never_shows_hidden_or_trashed(
    client: httpx.AsyncClient, world: World, session: AsyncSession, settings: Settings
) -> None:
    assert await _titles(client, q="stew") == []
    owner = bearer(world.owner, settings, session)
    assert await _titles(client, q="stew", headers=owner) == ["Secret stew"]
    soup = (await client.get(BASE, params={"q": "tomato"})).json()["items"][0]
    await client.delete(f"{BASE}/{soup['id']}", headers=owner)
    assert await _titles(client, q="tomato") == []


async def test_search_input_is_never_query_syntax(client: httpx.AsyncClient, world: World) -> None:
    for query in ['"', "NEAR(a b)", "title:cake", "a OR b", "*", "'; DROP TABLE recipes;--", "ü"]:
        response = await client.get(BASE, params={"q": query})
        assert response.status_code == 200, query


async def test_cook_with_ranks_by_share_of_ingredients(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        f"{BASE}/cook-with", json={"foods": ["eggs", "flour", "milk", "sugar"]}
    )
    items = response.json()["items"]
    assert items[0]["title"] == "Pancakes"
    assert (items[0]["have"], items[0]["need"], items[0]["coverage"]) == (4, 4, 1.0)
    assert items[1]["title"] == "Chocolate cake"
    assert items[1]["coverage"] == pytest.approx(3 / 5)
    assert "Secret stew" not in [i["title"] for i in items]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"sort": "price"}, "sort"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"max_total_minutes": -1}, "max_total_minutes"),
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], field: str
) -> None:
    response = await client.get(BASE, params=params)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_cursor_of_another_sort_is_refused(client: httpx.AsyncClient, world: World) -> None:
    cursor = (await client.get(BASE, params={"sort": "title", "limit": 1})).json()["next"]
    response = await client.get(BASE, params={"sort": "rating", "cursor": cursor})
    assert response.status_code == 422


async def test_list_query_count_does_not_grow_with_page_size(
    client: httpx.AsyncClient, world: World, engine: AsyncEngine
) -> None:
    with statements_run(engine) as statements:
        counts = []
        cases: tuple[dict[str, int | str], ...] = (
            {"limit": 1},
            {"limit": 4},
            {"limit": 1, "q": "soup"},
            {"limit": 4, "q": "o"},
        )
        for params in cases:
            statements.clear()
            await client.get(BASE, params=params)
            reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
            counts.append(len(reads))
    # A search reads the recipes with every word in the title, then, when the page is not
    # full, the others: "o" is in no title as a word of its own.
    assert counts == [1, 1, 1, 2]


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("query", "title"), [("pancaks", "Pancakes"), ("chocolat cak", "Chocolate cake")]
)
async def test_typos_in_titles_still_match_on_postgresql(
    client: httpx.AsyncClient, world: World, query: str, title: str
) -> None:
    assert (await _titles(client, q=query))[0] == title


@pytest.mark.postgres_only
async def test_a_page_of_the_list_is_not_planned_again_for_each_read(
    settings: Settings, databases: DatabaseFactory
) -> None:
    """The page's size is written into the statement, so PostgreSQL, comparing the plan it
    would keep with those it makes for the values, keeps one (a limit left as a parameter
    makes any kept plan look worse, and each read was planned again, which took longer than
    reading the page). The pages are what they were."""
    async with own_database(databases, settings, "list_plans") as database:
        async with database.session() as session:
            owner = await actor_for(session, (await make_world(session, settings)).owner)
            for n in range(5):
                await service.create_recipe(session, actor=owner, data=_recipe(f"Dish {n}", []))
            await session.commit()
        pages = [
            await listing.list_recipes(
                database,
                viewer=None,
                filters=listing.RecipeFilters(),
                sort=None,
                limit=3,
                cursor=None,
            )
            for _ in range(12)
        ]
        # The page of 3 reads 4 rows: one more, to know whether there is a next page.
        plans = await plans_made(database, "SELECT page.id, % LIMIT 4) AS page %")
        titles = [item["title"] for item in orjson.loads(pages[0])["items"]]
    assert titles == ["Dish 4", "Dish 3", "Dish 2"]
    assert set(pages) == {pages[0]}
    ((generic, custom),) = plans
    assert (generic + custom, custom) == (12, 5)
