"""Search: every match, best first, paged exactly, counted; and misspelt words corrected."""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.households import service as households
from recipevault.policy import Visibility, read_keys, unscoped
from recipevault.recipes import listing, service
from recipevault.recipes.models import Recipe
from recipevault.recipes.recipe_rows import load_parts
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, RecipeUpdate, StepIn
from recipevault.recipes.search import index as search
from recipevault.recipes.search import spelling
from recipevault.recipes.search import words as search_words
from tests.support.migrations import load_migration
from tests.support.world import World, actor_for, bearer, make_world

BASE = "/api/v1/recipes"
FRUIT = ("plum", "fig", "quince", "melon", "apricot", "cherry")
OTHER = ("tart", "jam", "cake", "salad", "bowl")


@pytest.fixture(params=["newest window", "every entry"])
def newest(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PostgreSQL looks for a tier's page, and a probe for a match, among the newest entries
    first and in the whole index after: with a window of one entry, tests of a few recipes
    take the second way too. (SQLite reads the index in order and has no window.)"""
    if request.param == "every entry":
        monkeypatch.setattr(search, "PG_NEWEST", 1)
    statements = (listing._search_statement, listing._probe_statement)
    for statement in statements:
        statement.cache_clear()
    yield
    for statement in statements:
        statement.cache_clear()


@dataclass(frozen=True)
class Made:
    """What the test knows of a recipe it made, to work out the answer on its own."""

    id: int
    parts: tuple[frozenset[str], ...]
    """The words of its title, foods, description and steps."""
    owner_id: int
    household_id: int | None
    visibility: Visibility
    tags: frozenset[str]
    total_minutes: int
    rating: int | None
    rice: bool


def _words(text: str | None) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z]+", (text or "").lower()))


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
        fruit = rng.choice([None, None, *FRUIT])
        foods = ["rice" if rice else "onion", *([fruit] if fruit else [])]
        description = rng.choice([None, " ".join(rng.choices(FRUIT, k=rng.randint(1, 3)))])
        data = RecipeCreate(
            title=f"{' '.join(title_words).capitalize()} {number}",
            description=description,
            visibility=rng.choice(list(Visibility)),
            household_id=world.household.id
            if author != world.outsider and rng.random() < 0.6
            else None,
            ingredients=[IngredientIn(text=f"1 {food}") for food in foods],
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
                parts=(
                    _words(data.title),
                    frozenset(foods),
                    _words(description),
                    _words(" ".join(steps)),
                ),
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


def _tier(recipe: Made, words: set[str]) -> int | None:
    """The documented tier: how many parts, title first, it takes to hold every word; None
    when the recipe does not have them all."""
    held: set[str] = set()
    for tier, part in enumerate(recipe.parts):
        held |= part
        if words <= held:
            return tier
    return None


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
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, newest: None
) -> None:
    """Whoever asks, with whatever filters: the pages, put together, are every recipe the
    viewer may see that has the words, each once, ordered by (tier, newest first) as the
    documentation defines them, worked out here from what each recipe was made with; and
    each page says how many."""
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
    tiers_seen: set[int] = set()
    for case in range(24):
        viewer = viewers[case % len(viewers)]
        q = queries[case % len(queries)]
        filters = filter_choices[case % len(filter_choices)]
        words = set(q.split())
        tiers = {r.id: _tier(r, words) for r in made}
        expected = [
            recipe.id
            for recipe in sorted(
                (
                    r
                    for r in made
                    if tiers[r.id] is not None
                    and _may_see(world, viewer, r)
                    and _passes(r, filters)
                ),
                key=lambda r: (tiers[r.id], -r.id),
            )
        ]
        tiers_seen |= {tier for r in expected if (tier := tiers[r]) is not None}
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
    assert checked >= 10  # most cases have several pages
    assert tiers_seen == {0, 1, 2, 3}  # every tier was ranked


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


async def test_ranking_is_by_the_parts_that_hold_the_words_then_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """The documented order: the fewest parts (title, foods, description, steps) holding
    every word first, then the newest; paging through it keeps it."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    made = [
        _create("Lemon tart", ["Bake."]),  # 0: title
        _create("Sunday bake", ["Zest the lemon, fill the tart."]),  # 3: steps
        _create("Lemon cake", ["Serve with a tart jam."]),  # 3: a word only in the steps
        _create("Tart", ["Bake."], ingredients=["1 lemon"]),  # 1: title and foods
        _create("Lemon pie", ["Bake."], description="A tart one."),  # 2: with the description
        _create("Pudding", ["Bake."], ingredients=["1 lemon"], description="Tart."),  # 2
        _create("Lemon tart deluxe", ["Bake."]),  # 0, newer
        _create("Lemon meringue", ["Bake."]),  # not a match: no "tart" anywhere
    ]
    for data in made:
        await service.create_recipe(session, actor=owner, data=data)
    await session.flush()
    expected = [
        "Lemon tart deluxe",
        "Lemon tart",
        "Tart",
        "Pudding",
        "Lemon pie",
        "Lemon cake",
        "Sunday bake",
    ]
    assert await _search(client, "tart lemon") == (expected, len(expected))
    titles, cursor = [], None
    for _ in range(len(expected)):
        params: dict[str, Any] = {"q": "lemons tarts", "limit": 2}
        params |= {"cursor": cursor} if cursor else {}
        page = (await client.get(BASE, params=params)).json()
        titles += [item["title"] for item in page["items"]]
        assert page["total"] == len(expected)
        cursor = page["next"]
        if cursor is None:
            break
    assert titles == expected


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
    client: httpx.AsyncClient, pantry: World, query: str, titles: set[str], newest: None
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
    client: httpx.AsyncClient, pantry: World, query: str, titles: list[str], newest: None
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


@dataclass(frozen=True)
class _Owned:
    owner_id: int
    household_id: int | None
    visibility: Visibility


async def _entries(session: AsyncSession) -> dict[int, frozenset[str]]:
    """The keys each entry of the search index holds, by recipe id."""
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(
            text("SELECT recipe_id, tsvector_to_array(terms) FROM recipe_search")
        )
        return {
            recipe_id: frozenset(word[2:] for word in words if word.startswith("a:"))
            for recipe_id, words in rows
        }
    rows = await session.execute(text("SELECT rowid, access FROM recipe_search"))
    return {recipe_id: frozenset(access.split()) for recipe_id, access in rows}


async def _readers(session: AsyncSession) -> dict[int, frozenset[str]]:
    """``policy.read_keys`` of every recipe not in the trash, as the table holds it now."""
    rows = await session.execute(
        text("SELECT id, owner_id, household_id, visibility FROM recipes WHERE deleted_at IS NULL")
    )
    return {
        recipe_id: read_keys(_Owned(owner_id, household_id, Visibility(visibility)))
        for recipe_id, owner_id, household_id, visibility in rows
    }


async def test_index_keys_stay_the_policys_through_every_change(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Whatever changes a recipe (made, its visibility or household changed, trashed,
    restored, its household deleted when the last member leaves), its entry opens it to the
    viewers ``policy.read_keys`` names, and a recipe in the trash has none."""
    world = await make_world(session, settings)
    rng = random.Random(9)  # noqa: S311 - test data
    authors = [world.owner, world.member, world.outsider]
    made: list[tuple[Any, int]] = []
    for number in range(24):
        author = rng.choice(authors)
        shared = author is not world.outsider and rng.random() < 0.6
        data = _create(
            f"Dish {number}",
            ["Stir."],
            visibility=rng.choice(list(Visibility)),
            household_id=world.household.id if shared else None,
        )
        actor = await actor_for(session, author)
        made.append((author, (await service.create_recipe(session, actor=actor, data=data)).id))
    for author, recipe_id in rng.sample(made, 16):
        actor = await actor_for(session, author)
        change = rng.choice(["visibility", "household", "trash", "trash and restore"])
        if change == "visibility":
            update = RecipeUpdate(visibility=rng.choice(list(Visibility)))
        elif change == "household":
            home = await households.personal_household_id(session, author.id)
            shared = author is not world.outsider and rng.random() < 0.5
            update = RecipeUpdate(household_id=world.household.id if shared else home)
        else:
            await service.trash_recipe(
                session, actor=actor, recipe_id=recipe_id, if_match=None, ip=None
            )
            if change == "trash and restore":
                await service.restore_from_trash(session, actor=actor, recipe_id=recipe_id)
            continue
        await service.update_recipe(
            session, actor=actor, recipe_id=recipe_id, data=update, partial=True, if_match=None
        )
    await session.flush()
    assert await _entries(session) == await _readers(session)
    # The shared household goes when its last member leaves; its recipes stay, in none.
    in_household = await _readers(session)
    for person in (world.member, world.owner):
        await households.leave_household(
            session,
            actor=await actor_for(session, person),
            household_id=world.household.id,
            ip=None,
        )
    await session.flush()
    after = await _readers(session)
    assert after != in_household  # some recipes were shared with that household
    assert await _entries(session) == after


async def test_an_edit_that_keeps_the_words_still_rewrites_the_keys(
    client: httpx.AsyncClient, session: AsyncSession, pantry: World
) -> None:
    """Indexing told the words did not change (an edit of the visibility or household
    alone) leaves the words and still gives the entry the keys of who may read it now."""
    recipes = (
        await session.scalars(
            unscoped(select(Recipe).where(Recipe.title.in_(["Chicken soup", "Saffron rice"])))
        )
    ).all()
    await load_parts(session, recipes)
    by_title = {recipe.title: recipe for recipe in recipes}
    by_title["Chicken soup"].visibility = Visibility.PRIVATE
    by_title["Saffron rice"].visibility = Visibility.PUBLIC
    await session.flush()
    await search.index_recipes(session, recipes, words=False, foods=False)
    assert await _entries(session) == await _readers(session)
    assert await _search(client, "chicken") == (["Roast chicken"], 1)
    assert await _search(client, "saffron") == (["Saffron rice"], 1)


async def test_a_deleted_recipe_leaves_the_index(
    client: httpx.AsyncClient, session: AsyncSession, pantry: World
) -> None:
    assert (await _search(client, "chicken"))[1] == 2
    await session.execute(text("DELETE FROM recipes WHERE title = 'Roast chicken'"))
    assert await _search(client, "chicken") == (["Chicken soup"], 1)
    assert set(await _entries(session)) == set(await _readers(session))


async def test_the_migration_gives_the_entries_indexing_gives(
    session: AsyncSession, settings: Settings, pantry: World
) -> None:
    """The migration that made the keys fills the index as indexing does: the same words
    and keys for every recipe, none for those in the trash."""
    owner = await actor_for(session, pantry.owner)
    shared = _create(
        "Shared stew",
        ["Simmer slowly."],
        description="For the flat.",
        visibility=Visibility.HOUSEHOLD,
        household_id=pantry.household.id,
        ingredients=["2 carrots", "1 onion"],
    )
    await service.create_recipe(session, actor=owner, data=shared)
    trashed = await service.create_recipe(session, actor=owner, data=_create("Old soup", ["Go."]))
    await service.trash_recipe(session, actor=owner, recipe_id=trashed.id, if_match=None, ip=None)
    await session.flush()
    dialect = session.get_bind().dialect.name
    migration = load_migration("e4a463bb4dd6")
    await session.execute(text(migration.create(dialect, "recipe_search_check")))
    await session.execute(text(migration.fill(dialect, "recipe_search_check")))
    columns = (
        "recipe_id, terms"
        if dialect == "postgresql"
        else "rowid, title, foods, description, steps, access"
    )

    async def entries(table: str) -> set[tuple[Any, ...]]:
        rows = await session.execute(text(f"SELECT {columns} FROM {table}"))  # noqa: S608
        if dialect == "postgresql":
            return {(recipe_id, terms) for recipe_id, terms in rows}
        return {(*row[:-1], frozenset(row[-1].split())) for row in rows}

    indexed = await entries("recipe_search")
    assert len(indexed) == 9  # the pantry's eight and the shared stew
    assert await entries("recipe_search_check") == indexed


@pytest.mark.parametrize("value", [4, -1, 2**70, [0, 1.5], "first", None])
async def test_a_relevance_cursor_outside_the_tiers_is_refused(
    client: httpx.AsyncClient, pantry: World, value: Any
) -> None:
    """A relevance cursor holds a tier (0 to 3) and an id: anything else, the score pairs of
    old among them, is a malformed cursor, not a query."""
    raw = json.dumps({"s": "relevance", "v": value, "id": 3}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = await client.get(BASE, params={"q": "chicken", "cursor": cursor})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
