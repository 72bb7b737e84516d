from __future__ import annotations

import inspect
from collections import Counter
from decimal import Decimal
from itertools import islice

import pytest

from recipevault.demo.source import MAX_INGREDIENTS, MAX_STEPS, MAX_TITLE_CHARS, DemoRecipe
from recipevault.demo.synth import PREFIXES, SUFFIXES, synthesize


def recipe(
    title: str,
    category: str | None,
    foods: list[str],
    *,
    servings: Decimal | None = Decimal(4),
    yield_text: str | None = None,
    total_minutes: int | None = 30,
) -> DemoRecipe:
    return DemoRecipe(
        title=title,
        description=None,
        servings=servings,
        yield_text=yield_text,
        total_minutes=total_minutes,
        category=category,
        difficulty=2,
        ingredients=tuple(f"1 cup {food}" for food in foods),
        steps=tuple(f"Prepare the {food}." for food in foods),
        source_url=f"https://en.wikibooks.org/wiki/Cookbook:{title.replace(' ', '_')}",
    )


BASE = [
    recipe("Bean Soup", "Soup", ["beans", "onion", "stock", "bay leaf"]),
    recipe("Leek Soup", "Soup", ["leeks", "potato", "stock", "cream"], servings=None),
    recipe("Corn Soup", "Soup", ["corn", "onion", "milk", "butter"], yield_text="4 bowls"),
    recipe("Fruit Cake", "Cake", ["flour", "sugar", "raisins", "eggs"], total_minutes=None),
    recipe("Plain Rice", None, ["rice", "water", "salt"]),
    recipe("Toast with Jam", None, ["bread", "jam"], servings=None, total_minutes=None),
]


def test_yields_exactly_count_recipes_lazily() -> None:
    assert inspect.isgenerator(synthesize(BASE, 10))
    assert len(list(synthesize(BASE, 250))) == 250
    assert list(synthesize(BASE, 0)) == []
    # A billion would never fit in memory; taking a few must still be instant.
    assert len(list(islice(synthesize(BASE, 10**9), 5))) == 5


def test_same_seed_same_output_and_other_seeds_differ() -> None:
    first = list(synthesize(BASE, 300, seed=7))
    assert first == list(synthesize(BASE, 300, seed=7))
    assert first != list(synthesize(BASE, 300, seed=8))


def test_titles_are_unique_and_numbered_only_past_every_combination() -> None:
    combinations = len(BASE) * (len(PREFIXES) + 1) * (len(SUFFIXES) + 1)
    titles = [r.title for r in synthesize(BASE, combinations + 50, seed=1)]
    assert len({title.casefold() for title in titles}) == len(titles)
    assert not any(title.endswith(")") for title in titles[:combinations])
    assert all(title.endswith(")") and title[-2].isdigit() for title in titles[combinations:])


def test_titles_stay_within_the_limit() -> None:
    longest = recipe("Stew " * 39 + "Pots", "Soup", ["beef"])
    assert len(longest.title) == MAX_TITLE_CHARS - 1
    titles = [r.title for r in synthesize([longest], 100, seed=1)]
    assert len(set(titles)) == 100
    assert max(map(len, titles)) <= MAX_TITLE_CHARS


def test_titles_read_like_recipe_names() -> None:
    titles = [r.title for r in synthesize(BASE, 2000, seed=3)]
    assert any(title.split()[0] in PREFIXES and " with " in title for title in titles)
    assert any(title.endswith("Toast with Jam and " + SUFFIXES[0]) for title in titles)
    # "Toast with Jam with Thyme" would read badly; a second garnish is joined with "and".
    assert all(title.count(" with ") <= 1 for title in titles)


def test_lines_are_traded_only_with_recipes_of_the_same_category() -> None:
    soup_lines = {line for r in BASE if r.category == "Soup" for line in r.ingredients}
    # "Cake" has one recipe, too few to trade within: it shares the general pool.
    general_lines = {line for r in BASE if r.category != "Soup" for line in r.ingredients}
    traded = 0
    for made in synthesize(BASE, 2000, seed=2):
        origin = next(r for r in BASE if r.source_url == made.source_url)
        pool = soup_lines if made.category == "Soup" else general_lines
        assert set(made.ingredients) <= pool
        traded += set(made.ingredients) != set(origin.ingredients)
    assert traded > 1000


def test_the_data_varies_enough_for_search_benchmarks() -> None:
    made = list(synthesize(BASE, 2000, seed=4))
    assert len({r.ingredients for r in made}) > 500
    assert len({r.steps for r in made}) > 100
    assert len({r.servings for r in made}) > 4
    assert len({r.total_minutes for r in made}) > 10
    assert None in {r.total_minutes for r in made}
    assert Counter(r.description is None for r in made)[False] > 1000
    assert all(len(r.ingredients) <= MAX_INGREDIENTS and len(r.steps) <= MAX_STEPS for r in made)
    assert all(len(set(r.ingredients)) == len(r.ingredients) for r in made)
    assert all(r.servings is None or r.servings > 0 for r in made)
    assert all(r.total_minutes is None or r.total_minutes >= 5 for r in made)


def test_a_yield_text_survives_only_with_the_servings_it_describes() -> None:
    for made in synthesize(BASE, 1000, seed=5):
        if made.yield_text is not None:
            assert made.yield_text == "4 bowls"
            assert made.servings == Decimal(4)


def test_every_recipe_keeps_the_credit_of_the_recipe_it_came_from() -> None:
    urls = {r.source_url: r for r in BASE}
    for made in synthesize(BASE, 500, seed=6):
        origin = urls[made.source_url]
        assert made.license == origin.license
        assert made.attribution.startswith(origin.attribution)
        assert made.category == origin.category


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        next(synthesize(BASE, -1))
    with pytest.raises(ValueError, match="empty base"):
        next(synthesize([], 1))
    assert list(synthesize([], 0)) == []
