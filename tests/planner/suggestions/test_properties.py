"""Over generated rule sets and 100 seeds: no proposal breaks a rule, none repeats within the
"not planned within N days" window, a slot-day is left without a recipe only when none fits,
and the same seed gives the same plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.planner.models import MealSlot
from recipevault.planner.suggestions import service
from recipevault.planner.suggestions.schemas import SuggestionRequest, SuggestionRules
from recipevault.policy import Actor, Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.listing import food_spellings
from recipevault.recipes.models import FoodName, RecipeIngredient
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, StepIn
from tests.planner.plan_rows import make_entry, make_slots
from tests.support.world import actor_for, make_world

TAGS = ("vegetarian", "quick", "soup", "spicy")
CATEGORIES = ("Dinner", "Lunch", "Dessert")
FOODS = ("rice", "lentils", "onion", "garlic", "spinach", "eggs")
START = dt.date(2026, 12, 7)
DAYS = 10


@dataclass
class Facts:
    """What the test knows of a recipe, from how it made it."""

    tags: set[str]
    categories: set[str]
    minutes: int | None
    rating: int | None
    foods: set[int] = field(default_factory=set)  # food ids
    plannable: bool = True  # readable by every member of the household


@dataclass
class Kitchen:
    actor: Actor
    household_id: int
    slots: list[MealSlot]
    facts: dict[int, Facts]
    planned: list[tuple[int, int, dt.date, dt.date | None]]  # slot, recipe or 0, start, end
    food_names: dict[str, set[int]]  # spelling -> food ids


def _pick(values: tuple[str, ...], n: int, every: int) -> list[str]:
    return [value for i, value in enumerate(values) if (n // every + i) % 3 == 0]


@pytest.fixture
async def kitchen(session: AsyncSession, settings: Settings) -> Kitchen:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    outsider = await actor_for(session, world.outsider)
    household = world.household.id
    facts: dict[int, Facts] = {}
    for n in range(36):
        tags, categories = _pick(TAGS, n, 1), _pick(CATEGORIES, n, 2)
        minutes = (None, 10, 25, 40, 90)[n % 5]
        rating = (None, 1, 3, 5, 4, None, 2)[n % 7]
        foods = [f"1 cup {food}" for food in _pick(FOODS, n, 3)] or ["1 cup water"]
        visibility = (Visibility.HOUSEHOLD, Visibility.PUBLIC, Visibility.PRIVATE)[n % 3]
        author = outsider if n % 11 == 0 else owner
        data = RecipeCreate(
            title=f"Dish {n}",
            visibility=visibility,
            household_id=None if author is outsider else household,
            tags=tags,
            categories=categories,
            total_minutes=minutes,
            rating=rating,
            ingredients=[IngredientIn(text=line) for line in foods],
            steps=[StepIn(text="Cook it.")],
        )
        recipe = await recipes.create_recipe(session, actor=author, data=data)
        plannable = visibility == Visibility.PUBLIC or (
            visibility == Visibility.HOUSEHOLD and author is not outsider
        )
        facts[recipe.id] = Facts(set(tags), set(categories), minutes, rating, plannable=plannable)
    await session.flush()
    for recipe_id, food_id in await session.execute(
        select(RecipeIngredient.recipe_id, RecipeIngredient.food_id).where(
            RecipeIngredient.food_id.is_not(None)
        )
    ):
        if recipe_id in facts and food_id is not None:
            facts[recipe_id].foods.add(food_id)
    food_names: dict[str, set[int]] = {}
    for key, food_id in await session.execute(select(FoodName.key, FoodName.food_id)):
        food_names.setdefault(key, set()).add(food_id)
    slots = await make_slots(session, household)
    shared = sorted(recipe_id for recipe_id, fact in facts.items() if fact.plannable)
    planned: list[tuple[int, int, dt.date, dt.date | None]] = [
        (0, shared[0], START - dt.timedelta(days=2), None),
        (2, shared[1], START + dt.timedelta(days=3), START + dt.timedelta(days=5)),
        (1, 0, START + dt.timedelta(days=1), START + dt.timedelta(days=2)),
        (2, shared[2], START + dt.timedelta(days=DAYS + 4), None),
    ]
    for slot, recipe_id, start, end in planned:
        await make_entry(session, slots[slot], start, recipe_id=recipe_id or None, end_date=end)
    # The owner reads their own private recipes: proposals must still leave them out.
    return Kitchen(owner, household, slots, facts, planned, food_names)


def _names(values: tuple[str, ...]) -> st.SearchStrategy[tuple[list[str], list[str]]]:
    """Names to include and names to exclude, never the same one in both."""
    return st.lists(st.sampled_from(values), unique=True, max_size=len(values)).flatmap(
        lambda chosen: st.integers(0, len(chosen)).map(
            lambda cut: (list(chosen[:cut]), list(chosen[cut:]))
        )
    )


@st.composite
def rule_sets(draw: st.DrawFn) -> SuggestionRules:
    include_tags, exclude_tags = draw(_names(TAGS))
    include_categories, exclude_categories = draw(_names(CATEGORIES))
    return SuggestionRules(
        include_tags=include_tags[:1],
        exclude_tags=exclude_tags[:2],
        include_categories=include_categories[:1],
        exclude_categories=exclude_categories[:1],
        max_total_minutes=draw(st.sampled_from([None, 10, 30, 60, 120])),
        not_planned_within_days=draw(st.sampled_from([None, 1, 2, 4, 7, 30])),
        foods_on_hand=draw(st.lists(st.sampled_from(FOODS), unique=True, max_size=3)),
        rated_first=draw(st.booleans()),
    )


def _meets(fact: Facts, rules: SuggestionRules, on_hand: set[int]) -> bool:
    return (
        fact.plannable
        and set(rules.include_tags) <= fact.tags
        and not set(rules.exclude_tags) & fact.tags
        and set(rules.include_categories) <= fact.categories
        and not set(rules.exclude_categories) & fact.categories
        and (
            rules.max_total_minutes is None
            or (fact.minutes is not None and fact.minutes <= rules.max_total_minutes)
        )
        and (not rules.foods_on_hand or bool(fact.foods & on_hand))
    )


def _near(a: dt.date, b_start: dt.date, b_end: dt.date, days: int) -> bool:
    window = dt.timedelta(days=days)
    return b_start <= a + window and b_end >= a - window


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    # The kitchen is made once and only read: suggestions save nothing.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rules=rule_sets(), seed=st.integers(0, 2**53), days=st.integers(1, DAYS))
async def test_no_rule_is_ever_broken(
    session: AsyncSession,
    database: Database,
    kitchen: Kitchen,
    rules: SuggestionRules,
    seed: int,
    days: int,
) -> None:
    request = SuggestionRequest(
        household_id=kitchen.household_id,
        start=START,
        end=START + dt.timedelta(days=days - 1),
        rules=rules,
        seed=seed,
    )
    picks = await service.suggest(session, database, actor=kitchen.actor, data=request)
    again = await service.suggest(session, database, actor=kitchen.actor, data=request)
    assert again == picks

    on_hand = {
        food
        for spelling in food_spellings(rules.foods_on_hand)
        for food in kitchen.food_names.get(spelling, ())
    }
    fitting = {rid for rid, fact in kitchen.facts.items() if _meets(fact, rules, on_hand)}
    taken: list[tuple[int, dt.date, dt.date]] = [
        (recipe_id, start, end or start)
        for _, recipe_id, start, end in kitchen.planned
        if recipe_id
    ]
    covered = {
        (kitchen.slots[slot].id, start + dt.timedelta(days=n))
        for slot, _, start, end in kitchen.planned
        for n in range(((end or start) - start).days + 1)
    }
    expected = [
        (START + dt.timedelta(days=n), slot.id)
        for n in range(days)
        for slot in kitchen.slots
        if (slot.id, START + dt.timedelta(days=n)) not in covered
    ]
    assert [(p.slot_day.date, p.slot_day.slot_id) for p in picks] == expected

    window = rules.not_planned_within_days
    proposed = [(p.choice.id, p.slot_day.date) for p in picks if p.choice is not None]
    for index, pick in enumerate(picks):
        day = pick.slot_day.date
        if pick.choice is None:
            # Left empty only when every fitting recipe was planned, or proposed already,
            # within the window of that day.
            before = [(p.choice.id, p.slot_day.date) for p in picks[:index] if p.choice]
            near = [*taken, *((rid, d, d) for rid, d in before)]
            assert window or not fitting, (pick, fitting)
            for rid in fitting:
                assert any(
                    rid == other and _near(day, start, end, window or 0)
                    for other, start, end in near
                ), (pick, rid)
            continue
        recipe_id = pick.choice.id
        assert recipe_id in fitting, (pick, rules)
        fact = kitchen.facts[recipe_id]
        if window:
            others = [(o, d) for o, d in proposed if (o, d) != (recipe_id, day)]
            assert sum(1 for o, d in proposed if (o, d) == (recipe_id, day)) == 1
            assert not any(o == recipe_id and _near(day, d, d, window) for o, d in others), (
                pick,
                proposed,
            )
            assert not any(
                o == recipe_id and _near(day, start, end, window) for o, start, end in taken
            )
        said = list(pick.reasons)
        assert [f"Tagged {t}" for t in rules.include_tags] == [
            r for r in said if r.startswith("Tagged")
        ]
        if rules.max_total_minutes is not None:
            assert f"Ready in {rules.max_total_minutes} min or less" in said
        if rules.foods_on_hand:
            have = len(fact.foods & on_hand)
            assert f"You have {have} of its {len(fact.foods)} foods" in said
        if rules.rated_first and fact.rating is not None:
            assert f"Rated {fact.rating}" in said

    # The first proposal is the best that was free on its day, as the rules rank them.
    first = next((p for p in picks if p.choice is not None), None)
    if (
        first is not None
        and first.choice is not None
        and (rules.rated_first or rules.foods_on_hand)
    ):

        def rank(rid: int) -> tuple[float, int, int]:
            fact = kitchen.facts[rid]
            have = len(fact.foods & on_hand) if rules.foods_on_hand else 0
            coverage = have / len(fact.foods) if fact.foods and rules.foods_on_hand else 0.0
            return (-coverage, -have, -(fact.rating or 0) if rules.rated_first else 0)

        free = [
            rid
            for rid in fitting
            if not (
                window
                and any(o == rid and _near(first.slot_day.date, s, e, window) for o, s, e in taken)
            )
        ]
        assert rank(first.choice.id) == min(rank(rid) for rid in free)
