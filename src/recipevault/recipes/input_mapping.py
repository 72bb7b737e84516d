"""A recipe's rows from API input, and API input from a stored recipe document.

Input lines given only as text are parsed here; foods, units and terms are found or created in
the household's vocabularies; the sort keys listings use are derived from the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from recipevault.policy import Actor
from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.models import Category, Recipe, RecipeIngredient, RecipeStep, Tag, Tool
from recipevault.recipes.recipe_rows import Collections
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, RecipeUpdate, StepIn
from recipevault.recipes.vocabulary.resolving import Vocabulary, term_key, unit_key

NO_TIME = 10**9  # sorts recipes without a time after every real one


def _compose_text(item: IngredientIn) -> str:
    parts = [str(item.quantity.normalize()) if item.quantity is not None else "", item.unit or ""]
    parts.append(item.food or "")
    text = " ".join(part for part in parts if part)
    return f"{text}, {item.note}" if item.note else text


def effective_line(item: IngredientIn) -> dict[str, Any]:
    """Structured fields as given, or parsed from the text when only text was given."""
    structured = any(
        value is not None for value in (item.quantity, item.unit, item.food, item.note, item.size)
    )
    if item.text is not None and not structured:
        parsed = parse_ingredient(item.text)
        return {
            "text": item.text,
            "quantity": parsed.quantity,
            "quantity_max": parsed.quantity_max,
            "unit": parsed.unit,
            "food": parsed.food,
            "size": parsed.size,
            "note": parsed.note,
            "optional": parsed.optional or item.optional,
        }
    return {
        "text": item.text or _compose_text(item),
        "quantity": item.quantity,
        "quantity_max": item.quantity_max,
        "unit": item.unit,
        "food": item.food,
        "size": item.size,
        "note": item.note,
        "optional": item.optional,
    }


def _clip(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


async def _ingredients(
    vocabulary: Vocabulary,
    items: Sequence[IngredientIn],
    lines: list[dict[str, Any]] | None = None,
) -> list[RecipeIngredient]:
    lines = lines if lines is not None else [effective_line(item) for item in items]
    foods = await vocabulary.foods([ln["food"][:100] for ln in lines if ln["food"]])
    units = await vocabulary.units([ln["unit"][:50] for ln in lines if ln["unit"]])
    rows, section = [], None
    for position, (item, line) in enumerate(zip(items, lines, strict=True)):
        # A section names a group of consecutive lines: it holds until the next one.
        section = item.section if item.section is not None else section
        rows.append(
            RecipeIngredient(
                position=position,
                section=section,
                text=line["text"][:500],
                quantity=line["quantity"],
                quantity_max=line["quantity_max"],
                unit=units.get(unit_key(line["unit"][:50])) if line["unit"] else None,
                food=foods.get(term_key(line["food"][:100])) if line["food"] else None,
                size=_clip(line["size"], 100),
                note=_clip(line["note"], 500),
                optional=line["optional"],
            )
        )
    return rows


def _steps(items: Sequence[StepIn]) -> list[RecipeStep]:
    rows, section = [], None
    for position, item in enumerate(items):
        section = item.section if item.section is not None else section
        rows.append(
            RecipeStep(
                position=position, section=section, text=item.text, timer_minutes=item.timer_minutes
            )
        )
    return rows


def derived_total(prep_minutes: int | None, cook_minutes: int | None) -> int | None:
    """The total time a recipe has when none was given: preparation plus cooking."""
    if not (prep_minutes or cook_minutes):
        return None
    return (prep_minutes or 0) + (cook_minutes or 0)


def total_was_given(document: Mapping[str, Any]) -> bool:
    """Whether a stored recipe document's total time was given rather than derived. Documents
    and revisions written before the flag existed say so by their numbers, as the migration
    that added it decided for the recipes themselves."""
    given = document.get("total_minutes_given")
    if given is not None:
        return bool(given)
    total = document.get("total_minutes")
    derived = derived_total(document.get("prep_minutes"), document.get("cook_minutes"))
    return total is not None and total != derived


def _total_time(recipe: Recipe, values: dict[str, Any]) -> None:
    """A total given stays as given; otherwise it follows preparation and cooking, including
    when a partial update changes only one of them."""
    if "total_minutes" in values:
        recipe.total_minutes_given = values["total_minutes"] is not None
    if not recipe.total_minutes_given:
        recipe.total_minutes = derived_total(recipe.prep_minutes, recipe.cook_minutes)


def _sort_keys(recipe: Recipe, ingredients: list[RecipeIngredient] | None) -> None:
    recipe.sort_title = recipe.title.casefold()[:200]
    recipe.sort_total_minutes = NO_TIME if recipe.total_minutes is None else recipe.total_minutes
    recipe.sort_rating = recipe.rating or 0
    if ingredients is not None:
        recipe.food_count = len({line.food.id for line in ingredients if line.food is not None})


SCALARS = (
    "title",
    "description",
    "servings",
    "yield_text",
    "prep_minutes",
    "cook_minutes",
    "total_minutes",
    "notes",
    "source_url",
    "attribution",
    "rating",
    "visibility",
)


async def apply_input(
    recipe: Recipe,
    vocabulary: Vocabulary,
    values: dict[str, Any],
    lines: list[dict[str, Any]] | None = None,
) -> Collections:
    """Set the recipe's fields from ``values``, and return the collections they give it (the
    caller writes those: see ``recipe_rows``)."""
    # The vocabularies' lookups do not read the recipe's row: its changed columns are written
    # with the rest of the write (one UPDATE), not flushed before the first lookup.
    with vocabulary.session.no_autoflush:
        return await _apply_input(recipe, vocabulary, values, lines)


async def _apply_input(
    recipe: Recipe,
    vocabulary: Vocabulary,
    values: dict[str, Any],
    lines: list[dict[str, Any]] | None,
) -> Collections:
    for name in SCALARS:
        if name in values:
            setattr(recipe, name, values[name])
    if "nutrition" in values:
        nutrition = values["nutrition"]
        recipe.nutrition = (
            {k: v for k, v in nutrition.items() if v is not None} if nutrition else None
        )
    recipe.household_id = vocabulary.household_id
    given = Collections()
    if "tags" in values:
        given.tags = await vocabulary.terms(Tag, values["tags"])
    if "categories" in values:
        given.categories = await vocabulary.terms(Category, values["categories"])
    if "tools" in values:
        given.tools = await vocabulary.terms(Tool, values["tools"])
    if "ingredients" in values:
        given.ingredients = await _ingredients(vocabulary, values["ingredients"], lines)
    if "steps" in values:
        given.steps = _steps(values["steps"])
    _total_time(recipe, values)
    _sort_keys(recipe, given.ingredients)
    return given


def input_values(data: RecipeCreate | RecipeUpdate, *, partial: bool) -> dict[str, Any]:
    dumped = data.model_dump(exclude_unset=partial, exclude={"ingredients", "steps"})
    if not partial or "ingredients" in data.model_fields_set:
        dumped["ingredients"] = data.ingredients or []
    if not partial or "steps" in data.model_fields_set:
        dumped["steps"] = data.steps or []
    for name in ("tags", "categories", "tools"):
        if name in dumped and dumped[name] is None:
            dumped[name] = []
    dumped.pop("household_id", None)
    return dumped


def new_recipe(actor: Actor, data: RecipeCreate, slug: str, now: datetime) -> Recipe:
    """A recipe not stored yet, with every column set (``apply_input`` sets the rest) and no
    collections: it may be inserted by a statement (see ``service``) as well as flushed."""
    return Recipe(
        owner_id=actor.user_id,
        slug=slug,
        title=data.title,
        visibility=data.visibility,
        created_at=now,
        updated_at=now,
        version=1,
        deleted_at=None,
        total_minutes_given=False,
        food_count=0,
        tags=[],
        categories=[],
        tools=[],
        ingredients=[],
        steps=[],
        images=[],
    )


def input_from_snapshot(snapshot: dict[str, Any]) -> RecipeCreate:
    ingredients = [
        IngredientIn(
            text=line["text"],
            section=line["section"],
            quantity=None if line["quantity"] is None else Decimal(str(line["quantity"])),
            quantity_max=None
            if line["quantity_max"] is None
            else Decimal(str(line["quantity_max"])),
            unit=line["unit"],
            food=line["food"],
            size=line["size"],
            note=line["note"],
            optional=line["optional"],
        )
        for line in snapshot["ingredients"]
    ]
    fields = {
        key: snapshot[key]
        for key in (*SCALARS, "nutrition", "tags", "categories", "tools")
        if key in snapshot
    }
    if fields.get("servings") is not None:
        fields["servings"] = Decimal(str(fields["servings"]))
    if not total_was_given(snapshot):
        fields["total_minutes"] = None  # derived again from the restored times
    return RecipeCreate.model_validate(
        {**fields, "ingredients": ingredients, "steps": snapshot["steps"]}
    )
