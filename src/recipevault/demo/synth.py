"""A large, varied, deterministic recipe set grown from the demo recipes, for benchmarks.

Search and "cook with what I have" are only measured honestly on data that looks real: distinct
titles, plausible servings and times, and ingredient lines that recur across recipes of a kind
without every recipe being a copy. Each synthetic recipe starts from a real one, renames it, nudges
its numbers and trades some lines with other recipes of the same category. Nothing here does I/O.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from recipevault.demo.source import MAX_INGREDIENTS, MAX_STEPS, MAX_TITLE_CHARS, DemoRecipe

PREFIXES = (
    *("Smoky", "Crispy", "Spiced", "Herbed", "Lemony", "Garlicky", "Rustic", "Weeknight"),
    *("Country", "Golden", "Hearty", "Zesty", "Creamy", "Roasted", "Grilled", "Slow-Cooked"),
    *("Quick", "Easy", "Classic", "Homestyle", "Fiery", "Sweet", "Tangy", "Toasted"),
    *("Honey", "Maple", "Ginger", "Chili", "Coastal", "Garden", "Summer", "Winter"),
    *("Autumn", "Spring", "Holiday", "Sunday", "Farmhouse", "Mediterranean", "Peppery", "Light"),
)
SUFFIXES = (
    *("Thyme", "Rosemary", "Garlic", "Lemon", "Basil", "Chives", "Paprika", "Cumin"),
    *("Sesame", "Walnuts", "Almonds", "Feta", "Parmesan", "Mushrooms", "Spinach", "Leeks"),
    *("Shallots", "Capers", "Olives", "Chili Oil", "Brown Butter", "Miso", "Tahini", "Yogurt"),
    *("Lime", "Dill", "Tarragon", "Sage", "Fennel", "Coriander"),
)
SERVINGS = tuple(Decimal(n) for n in (1, 2, 2, 4, 4, 4, 6, 6, 8, 10, 12))
MINUTES = (10, 15, 20, 25, 30, 35, 40, 45, 60, 75, 90, 120, 150, 180, 240, 480)
DESCRIPTIONS = (
    "A {adjective} take on {base}.",
    "{base}, the way we make it at home{with_clause}.",
    "Our {adjective} {base} for {servings} — a regular in this kitchen.",
    "Adapted from {base}; good for a busy evening.",
)
SYNTHETIC_NOTE = "; varied into a synthetic benchmark recipe"
# Categories this small have too few lines to trade; they borrow from the general pool instead.
MIN_POOL_RECIPES = 3


@dataclass(frozen=True, slots=True)
class _Pool:
    ingredients: tuple[str, ...]
    steps: tuple[str, ...]


def _pools(base: Sequence[DemoRecipe]) -> dict[str | None, _Pool]:
    sizes = Counter(recipe.category for recipe in base)
    ingredients: dict[str | None, list[str]] = {}
    steps: dict[str | None, list[str]] = {}
    for recipe in base:
        key = recipe.category if sizes[recipe.category] >= MIN_POOL_RECIPES else None
        ingredients.setdefault(key, []).extend(recipe.ingredients)
        steps.setdefault(key, []).extend(recipe.steps)
    return {
        key: _Pool(tuple(dict.fromkeys(ingredients[key])), tuple(dict.fromkeys(steps[key])))
        for key in ingredients
    }


def _trade(
    rng: random.Random, lines: tuple[str, ...], pool: tuple[str, ...], *, limit: int, share: float
) -> tuple[str, ...]:
    """Swap up to ``share`` of the lines for lines of kindred recipes, maybe add or drop one."""
    if not pool:
        return lines
    out = list(lines)
    for _ in range(rng.randint(0, max(1, int(len(out) * share)))):
        if out:
            out[rng.randrange(len(out))] = rng.choice(pool)
    roll = rng.random()
    if roll < 0.35:
        out.insert(rng.randint(0, len(out)), rng.choice(pool))
    elif roll < 0.55 and len(out) > 3:
        del out[rng.randrange(len(out))]
    return tuple(dict.fromkeys(out))[:limit]


def _coprime_step(rng: random.Random, size: int) -> int:
    while True:
        step = rng.randrange(1, size) if size > 1 else 1
        if math.gcd(step, size) == 1:
            return step


def _title(base: str, prefix: str, suffix: str) -> str:
    if suffix:
        base = f"{base} {'and' if ' with ' in base else 'with'} {suffix}"
    return f"{prefix} {base}" if prefix else base


def _unique(title: str, seen: set[str]) -> str:
    # A counter only when the name is taken: "Pancakes (2)".
    candidate, number = title, 1
    while candidate.casefold() in seen:
        number += 1
        marker = f" ({number})"
        candidate = title[: MAX_TITLE_CHARS - len(marker)].rstrip() + marker
    seen.add(candidate.casefold())
    return candidate


def synthesize(base: Sequence[DemoRecipe], count: int, *, seed: int = 0) -> Iterator[DemoRecipe]:
    """Yield ``count`` varied recipes derived from ``base``; the same seed gives the same output.

    Recipes are produced one at a time; what is kept across them is the line pools (the size of
    ``base``) and the set of titles already used (one short string per recipe yielded), which is
    what guarantees unique titles. Title combinations are walked in a seeded permutation, so the
    first thousand recipes already spread over the whole base set.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if count and not base:
        raise ValueError("cannot synthesize recipes from an empty base set")
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    pools = _pools(base)
    sizes = Counter(recipe.category for recipe in base)
    prefixes, suffixes = ("", *PREFIXES), ("", *SUFFIXES)
    combinations = len(base) * len(prefixes) * len(suffixes)
    step, offset = _coprime_step(rng, combinations), rng.randrange(combinations or 1)
    seen: set[str] = set()
    for index in range(count):
        code = (step * index + offset) % combinations
        code, origin = divmod(code, len(base))
        code, prefix_index = divmod(code, len(prefixes))
        recipe = base[origin]
        prefix, suffix = prefixes[prefix_index], suffixes[code % len(suffixes)]
        title = _title(recipe.title, prefix, suffix)
        if len(title) > MAX_TITLE_CHARS:
            title, prefix, suffix = recipe.title, "", ""
        pool = pools[recipe.category if sizes[recipe.category] >= MIN_POOL_RECIPES else None]

        servings, yield_text = recipe.servings, recipe.yield_text
        if rng.random() < (0.5 if servings is None else 0.4):
            servings, yield_text = rng.choice(SERVINGS), None
        minutes = recipe.total_minutes
        if minutes is not None and rng.random() < 0.5:
            minutes = max(5, round(minutes * rng.uniform(0.6, 1.6) / 5) * 5)
        elif minutes is None and rng.random() < 0.6:
            minutes = rng.choice(MINUTES)

        description = None
        if rng.random() < 0.7:
            description = rng.choice(DESCRIPTIONS).format(
                adjective=(prefix or rng.choice(PREFIXES)).lower(),
                base=recipe.title,
                with_clause=f", with {suffix.lower()}" if suffix else "",
                servings=f"{servings} people" if servings else "a crowd",
            )
        yield DemoRecipe(
            title=_unique(title, seen),
            description=description,
            servings=servings,
            yield_text=yield_text,
            total_minutes=minutes,
            category=recipe.category,
            difficulty=recipe.difficulty if rng.random() < 0.8 else rng.randint(1, 3),
            ingredients=_trade(
                rng, recipe.ingredients, pool.ingredients, limit=MAX_INGREDIENTS, share=0.3
            ),
            steps=_trade(rng, recipe.steps, pool.steps, limit=MAX_STEPS, share=0.15),
            source_url=recipe.source_url,
            attribution=recipe.attribution + SYNTHETIC_NOTE,
            license=recipe.license,
            language=recipe.language,
        )
