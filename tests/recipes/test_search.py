"""Search: every match, best first, paged exactly, counted; and misspelt words corrected."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.policy import Visibility
from recipevault.recipes import search, search_words, service, spelling
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, RecipeUpdate, StepIn
from tests.support.migrations import load_migration
from tests.support.world import World, actor_for, bearer, make_world

BASE = "/api/v1/recipes"
FRUIT = ("plum", "fig", "quince", "melon", "apricot", "cherry")
OTHER = ("tart", "jam", "cake", "salad", "bowl")


@pytest.fixture
def old_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The search window's bounds of old, made small: a search that still ranked only its
    newest matches would rank five here (the names are gone, and nothing reads them now)."""
    for name, value in (("CANDIDATES", 5), ("RECENT", 4), ("RECENT_STEP", 2)):
        monkeypatch.setattr(search, name, value, raising=False)


@dataclass(frozen=True)
class Made:
    """What the test knows of a recipe it made, to work out the answer on its own."""

    id: int
    title: str
    owner_id: int
    household_id: int | None
    visibility: Visibility
    tags: frozenset[str]
    total_minutes: int
    rating: int | None
    rice: bool


async def _made(session: AsyncSession, world: World, rng: random.Random) -> list[Made]:
    made = []
    people = [world.owner, world.member, world.outsider]
    for number in range(60):
        author = rng.choice(people)
        title_words = [*rng.sample(FRUIT, rng.randint(1, 2)), rng.choice(OTHER)]
        steps = [
            " ".join(rng.choices((*FRUIT, "stir", "bake", "serve"), k=rng.randint(2, 9)))
            for _ in range(rng.randint(1, 3))
        ]
        rice = rng.random() < 0.4
        data = RecipeCreate(
            title=f"{' '.join(title_words).capitalize()} {number}",
            description=rng.choice([None, " ".join(rng.choices(FRUIT, k=3))]),
            visibility=rng.choice(list(Visibility)),
            household_id=world.household.id
            if author != world.outsider and rng.random() < 0.6
            else None,
            ingredients=[IngredientIn(text="1 cup rice" if rice else "1 onion")],
            steps=[StepIn(text=step) for step in steps],
            tags=rng.sample(["quick", "sweet"], rng.randint(0, 2)),
            total_minutes=rng.choice([10, 30, 60, 120]),
            rating=rng.choice([None, 2, 4, 5]),
        )
        recipe: Recipe = await service.create_recipe(
            session, actor=await actor_for(session, author), data=data
        )
        made.append(
            Made(
                id=recipe.id,
                title=recipe.title,
                owner_id=recipe.owner_id,
                household_id=recipe.household_id,
                visibility=recipe.visibility,
                tags=frozenset(data.tags or ()),
                total_minutes=recipe.total_minutes or 0,
                rating=recipe.rating,
                rice=rice,
            )
        )
    await session.flush()
    return made


def _may_see(world: World, viewer: str | None, recipe: Made) -> bool:
    if viewer == "admin":
        return True
    if recipe.visibility == Visibility.PUBLIC:
        return True
    if viewer is None:
        return False
    user = world.all()[viewer]
    in_shared = recipe.household_id == world.household.id and viewer in ("owner", "member")
    return recipe.owner_id == user.id or (recipe.visibility == Visibility.HOUSEHOLD and in_shared)


def _passes(recipe: Made, filters: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "tag": lambda value: value in recipe.tags,
        "max_total_minutes": lambda value: recipe.total_minutes <= value,
        "min_rating": lambda value: recipe.rating is not None and recipe.rating >= value,
        "owner": lambda value: recipe.owner_id == value,
        "household": lambda value: recipe.household_id == value,
        "visibility": lambda value: recipe.visibility.value == value,
        "food": lambda value: recipe.rice,
    }
    return all(checks[name](value) for name, value in filters.items())


async def _scores(session: AsyncSession, words: list[str]) -> dict[int, float]:
    """Every recipe of the index matching all the words, with the score the database gives
    it: asked of the full-text index alone, all at once."""
    if session.get_bind().dialect.name == "postgresql":
        statement = (
            "SELECT recipe_id, CAST(-ts_rank_cd(document, to_tsquery('english', :q)) AS FLOAT) "
            "FROM recipe_search WHERE document @@ to_tsquery('english', :q)"
        )
        query = " & ".join(words)
    else:
        statement = (
            "SELECT rowid, bm25(recipe_search, 10.0, 2.0, 5.0, 1.0) "
            "FROM recipe_search WHERE recipe_search MATCH :q"
        )
        query = " AND ".join(f'"{word}"' for word in words)
    rows = await session.execute(text(statement), {"q": query})
    return {int(rid): float(score) for rid, score in rows}


async def _paged(
    client: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str]
) -> tuple[list[int], set[int]]:
    """The ids of every page in turn, and the totals the pages reported."""
    ids: list[int] = []
    totals: set[int] = set()
    cursor = None
    for _ in range(200):
        page_params = params | ({"cursor": cursor} if cursor else {})
        response = await client.get(BASE, params=page_params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        totals.add(page["total"])
        cursor = page["next"]
        if cursor is None:
            return ids, totals
    pytest.fail("paging did not end")


async def test_pages_hold_every_match_once_in_an_exact_ranking(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, old_window: None
) -> None:
    """Whoever asks, with whatever filters: the pages, put together, are every recipe the
    viewer may see that matches, each once, ordered by (title holds every word, score, id)
    worked out here from the index's scores of all matches; and each page says how many."""
    world = await make_world(session, settings)
    rng = random.Random(18)  # noqa: S311 - test data
    made = await _made(session, world, rng)
    viewers: list[str | None] = [None, "owner", "member", "outsider", "admin"]
    queries = ["plum", "fig quince", "cherry", "melon apricot"]
    filter_choices: list[dict[str, Any]] = [
        {},
        {"tag": "sweet"},
        {"max_total_minutes": 30},
        {"min_rating": 4},
        {"owner": world.outsider.id},
        {"household": world.household.id},
        {"visibility": "household"},
        {"food": "rice"},
        {"tag": "quick", "min_rating": 2},
    ]
    headers = {name: bearer(world.all()[name], settings, session) for name in world.all()}
    checked = 0
    for case in range(24):
        viewer = viewers[case % len(viewers)]
        q = queries[case % len(queries)]
        filters = filter_choices[case % len(filter_choices)]
        words = q.split()
        scores = await _scores(session, words)
        expected = [
            recipe.id
            for recipe in sorted(
                (
                    r
                    for r in made
                    if r.id in scores and _may_see(world, viewer, r) and _passes(r, filters)
                ),
                key=lambda r: (
                    0 if set(words) <= set(re.findall(r"\w+", r.title.lower())) else 1,
                    scores[r.id],
                    r.id,
                ),
            )
        ]
        ids, totals = await _paged(
            client,
            {"q": q, "limit": rng.choice([1, 3, 4, 7])} | filters,
            headers[viewer] if viewer else {},
        )
        assert ids == expected, (viewer, q, filters)
        assert totals == {len(expected)}, (viewer, q, filters)
        # Sorted otherwise, the same matches, each once.
        sort = rng.choice(["title", "created", "rating"])
        ids, totals = await _paged(
            client, {"q": q, "limit": 5, "sort": sort} | filters, headers[viewer] if viewer else {}
        )
        assert sorted(ids) == sorted(expected), (viewer, q, filters, sort)
        assert totals == {len(expected)}
        checked += len(expected) > 5
    assert checked >= 10  # most cases have more matches than the old window ranked


def _create(title: str, steps: list[str], **fields: Any) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        ingredients=[IngredientIn(text=line) for line in fields.pop("ingredients", ["1 egg"])],
        steps=[StepIn(text=step) for step in steps],
        **fields,
    )


async def _search(
    client: httpx.AsyncClient, q: str, headers: dict[str, str] | None = None
) -> tuple[list[str], int]:
    response = await client.get(BASE, params={"q": q, "limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    return [item["title"] for item in page["items"]], page["total"]


async def test_a_title_with_the_words_comes_before_any_other_match(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    quince = " ".join(["quince"] * 30)
    for data in (
        _create("Poached quince", ["Peel, core and slice. " * 40], description="Slow. " * 50),
        _create("Autumn compote", [f"Add the {quince}."]),
        _create("Quince and plum crumble", ["Bake."]),
        _create("Winter salad", ["Slice the fennel."], ingredients=["1 quince"]),
    ):
        await service.create_recipe(session, actor=owner, data=data)
    await session.flush()
    titles, total = await _search(client, "quince")
    assert set(titles[:2]) == {"Poached quince", "Quince and plum crumble"}
    assert set(titles[2:]) == {"Autumn compote", "Winter salad"}
    assert total == 4


@pytest.fixture
async def pantry(session: AsyncSession, settings: Settings) -> World:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    outsider = await actor_for(session, world.outsider)
    for title, steps in (
        ("Chicken soup", ["Simmer the chicken with carrots."]),
        ("Roast chicken", ["Roast it until golden."]),
        ("Chocolate cake", ["Melt the chocolate, fold into the batter."]),
        ("Pancakes", ["Whisk and fry."]),
        ("Pear tart", ["Slice the pears thinly."]),
        ("Peas with mint", ["Boil briefly."]),
        ("Garlic bread", ["Spread the garlic butter."]),
    ):
        await service.create_recipe(session, actor=owner, data=_create(title, steps))
    await service.create_recipe(
        session,
        actor=outsider,
        data=_create("Saffron rice", ["Steep the saffron."], visibility=Visibility.PRIVATE),
    )
    await session.flush()
    return world


CHICKEN = {"Chicken soup", "Roast chicken"}


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("chiken", CHICKEN),  # a missing letter
        ("chikcen", CHICKEN),  # two letters swapped
        ("chickken", CHICKEN),  # a doubled letter
        ("chixken soup", {"Chicken soup"}),  # a wrong letter, in one word of two
        ("choclate cake", {"Chocolate cake"}),
        ("chocolate cke", {"Chocolate cake"}),
        ("pnacakes", {"Pancakes"}),
        ("garlik bread", {"Garlic bread"}),
    ],
)
async def test_misspelt_words_find_what_was_meant(
    client: httpx.AsyncClient, pantry: World, query: str, titles: set[str]
) -> None:
    found, total = await _search(client, query)
    assert set(found) == titles
    assert total == len(titles)


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("pear", ["Pear tart"]),  # not "Peas with mint", one letter away
        ("peas", ["Peas with mint"]),
        ("chicken", ["Chicken soup", "Roast chicken"]),
        ("garl", ["Garlic bread"]),  # typed so far: the start of a word, not a typo
        ("chicken pancakes", []),  # both words found, just not together: nothing to correct
        ("xylophone", []),  # nothing near
        ("ck", []),  # too short to be corrected to "cake"
    ],
)
async def test_words_that_are_found_are_never_corrected(
    client: httpx.AsyncClient, pantry: World, query: str, titles: list[str]
) -> None:
    found, total = await _search(client, query)
    assert set(found) == set(titles)
    assert total == len(titles)


async def test_corrections_come_only_from_recipes_the_viewer_may_see(
    client: httpx.AsyncClient, pantry: World, session: AsyncSession, settings: Settings
) -> None:
    assert await _search(client, "safron") == ([], 0)
    assert await _search(client, "safron", bearer(pantry.owner, settings, session)) == ([], 0)
    outsider = bearer(pantry.outsider, settings, session)
    assert await _search(client, "safron", outsider) == (["Saffron rice"], 1)


async def test_new_words_can_be_found_misspelt_once_written(
    client: httpx.AsyncClient, pantry: World, session: AsyncSession
) -> None:
    owner = await actor_for(session, pantry.owner)
    pancakes = (await _search(client, "pancakes"))[0]
    assert pancakes == ["Pancakes"]
    recipe_id = (await client.get(BASE, params={"q": "pancakes"})).json()["items"][0]["id"]
    await service.update_recipe(
        session,
        actor=owner,
        recipe_id=recipe_id,
        data=RecipeUpdate(title="Rhubarb pancakes"),
        partial=True,
        if_match=None,
    )
    await session.flush()
    assert await _search(client, "rhubrab") == (["Rhubarb pancakes"], 1)


def test_near_words_are_those_within_a_few_edits() -> None:
    near = ["chicken", "chickens", "chick", "kitchen", "chicory"]
    assert spelling.closest("chiken", near) == [["chicken"], ["chickens"]]
    assert spelling.closest("chicken", near) == [["chickens"], ["chick"]]  # itself excluded
    assert spelling.closest("cke", ["cake"]) == [["cake"]]
    assert spelling.closest("ck", ["cake"]) == []
    assert spelling.closest("12", ["12", "13"]) == []
    assert spelling.words_of(["Crème brûlée, 2 eggs; sugar_free"]) == {
        "creme",
        "brulee",
        "eggs",
        "sugar",
        "free",
    }


async def _kept_words(session: AsyncSession) -> tuple[set[str], set[tuple[str, str]]]:
    words = await session.execute(text(f"SELECT word FROM {search_words.WORDS_TABLE}"))  # noqa: S608
    grams = await session.execute(text(f"SELECT gram, word FROM {search_words.GRAMS_TABLE}"))  # noqa: S608
    return set(words.scalars()), {(gram, word) for gram, word in grams}


async def test_the_migration_keeps_the_words_indexing_keeps(
    session: AsyncSession, pantry: World
) -> None:
    kept = await _kept_words(session)
    assert {"chicken", "simmer", "saffron", "pears"} <= kept[0]
    assert ("hic", "chicken") in kept[1]
    for table in (search_words.GRAMS_TABLE, search_words.WORDS_TABLE):
        await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    migration = load_migration("cfa9129bc61f")
    await session.run_sync(lambda sync: migration.backfill_words(sync.connection()))
    assert await _kept_words(session) == kept
