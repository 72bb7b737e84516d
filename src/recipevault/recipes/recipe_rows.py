"""A recipe's collections (ingredient lines, steps, tags, categories, tools, images): loaded for
any number of recipes with one statement each, and lines, steps and terms written as rows with
one statement per table.

The recipe's relationships refuse lazy loads and are never written by the unit of work: what
is loaded or written here is set on them as loaded (``set_committed_value``). The unit of work
would insert lines and steps a row at a time on SQLite (it wants each one's generated key), and
replacing a collection through it means loading the old one first to delete it row by row; a
recipe's lines go as one DELETE and one executemany instead. The line and step objects written
here stay outside the session, mirroring their rows: the document and the search index read
them, and nothing flushes them. Nothing may add a recipe whose collections were set here to a
session again (its save-update cascade would insert them twice); recipes are deleted by
statement, never through the unit of work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ScalarResult, Table, bindparam, delete, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from recipevault.policy import unscoped
from recipevault.recipes.models import (
    Category,
    Recipe,
    RecipeImage,
    RecipeIngredient,
    RecipeStep,
    Tag,
    Tool,
    VocabularyTerm,
    recipe_categories,
    recipe_tags,
    recipe_tools,
)

PARTS = ("ingredients", "steps", "tags", "categories", "tools", "images")
"""Every collection of a recipe, as its relationships are named."""

_TERMS: dict[str, tuple[type[VocabularyTerm], Table, str]] = {
    "tags": (Tag, recipe_tags, "tag_id"),
    "categories": (Category, recipe_categories, "category_id"),
    "tools": (Tool, recipe_tools, "tool_id"),
}
_CHILDREN: dict[str, tuple[type[RecipeIngredient | RecipeStep | RecipeImage], list[Any]]] = {
    "ingredients": (
        RecipeIngredient,
        [joinedload(RecipeIngredient.unit), joinedload(RecipeIngredient.food)],
    ),
    "steps": (RecipeStep, []),
    "images": (RecipeImage, []),
}
_LINES: Table = RecipeIngredient.__table__  # type: ignore[assignment]
_STEPS: Table = RecipeStep.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class Collections:
    """The collections an edit gives a recipe, its terms resolved in the household's
    vocabularies; None for each it leaves as it is."""

    tags: list[Tag] | None = None
    categories: list[Category] | None = None
    tools: list[Tool] | None = None
    ingredients: list[RecipeIngredient] | None = None
    steps: list[RecipeStep] | None = None

    def given(self) -> dict[str, list[Any]]:
        return {
            field.name: value
            for field in fields(self)
            if (value := getattr(self, field.name)) is not None
        }

    def only(self, names: Collection[str]) -> Collections:
        """These collections alone (named as the recipe's document names them)."""
        return Collections(
            **{name: values for name, values in self.given().items() if name in names}
        )


# --- Loading --------------------------------------------------------------------------------


async def load_parts(
    session: AsyncSession, recipes: Sequence[Recipe], parts: Collection[str] = PARTS
) -> None:
    """Load these collections of these recipes (the caller authorized them), one statement
    per collection whatever the number of recipes. Objects the session holds already are
    read again: another session may have changed them (pending changes are flushed first)."""
    if not recipes or not parts:
        return
    by_id = {recipe.id: recipe for recipe in recipes}
    ids = sorted(by_id)
    found: dict[str, dict[int, list[Any]]] = {part: defaultdict(list) for part in parts}
    for part, (model, options) in _CHILDREN.items():
        if part in parts:
            children: ScalarResult[
                RecipeIngredient | RecipeStep | RecipeImage
            ] = await session.scalars(
                unscoped(select(model))
                .where(model.recipe_id.in_(ids))
                .options(*options)
                .order_by(model.recipe_id, model.position)
                .execution_options(populate_existing=True)
            )
            for child in children:
                found[part][child.recipe_id].append(child)
    for part, (term, link, column) in _TERMS.items():
        if part in parts:
            rows = await session.execute(
                unscoped(select(link.c.recipe_id, term))
                .join(term, term.id == link.c[column])
                .where(link.c.recipe_id.in_(ids))
                .execution_options(populate_existing=True)
            )
            for recipe_id, value in rows:
                found[part][recipe_id].append(value)
    for part, values in found.items():
        for recipe_id, recipe in by_id.items():
            set_committed_value(recipe, part, values.get(recipe_id, []))


def missing_parts(recipe: Recipe, given: Collections) -> list[str]:
    """The collections of ``recipe`` that ``given`` does not replace and are not loaded yet."""
    unloaded = inspect(recipe).unloaded
    replaced = given.given()
    return [part for part in PARTS if part in unloaded and part not in replaced]


# --- Writing --------------------------------------------------------------------------------


def ingredient_row(recipe_id: int, line: RecipeIngredient) -> dict[str, Any]:
    return {
        "recipe_id": recipe_id,
        "position": line.position,
        "section": line.section,
        "text": line.text,
        "quantity": line.quantity,
        "quantity_max": line.quantity_max,
        "unit_id": line.unit.id if line.unit is not None else None,
        "food_id": line.food.id if line.food is not None else None,
        "size": line.size,
        "note": line.note,
        "optional": line.optional,
    }


def step_row(recipe_id: int, step: RecipeStep) -> dict[str, Any]:
    return {
        "recipe_id": recipe_id,
        "position": step.position,
        "section": step.section,
        "text": step.text,
        "timer_minutes": step.timer_minutes,
    }


def _rows(part: str, recipe_id: int, values: list[Any]) -> list[dict[str, Any]]:
    if part == "ingredients":
        return [ingredient_row(recipe_id, line) for line in values]
    if part == "steps":
        return [step_row(recipe_id, step) for step in values]
    column = _TERMS[part][2]
    return [{"recipe_id": recipe_id, column: term.id} for term in values]


def _table(part: str) -> Table:
    if part == "ingredients":
        return _LINES
    if part == "steps":
        return _STEPS
    return _TERMS[part][1]


# Each table's statements, made once so that SQLAlchemy compiles each once: deleting the rows
# of the recipes ``ids``, and inserting rows (run with the rows as parameters).
_DELETES = {
    part: delete(_table(part)).where(_table(part).c.recipe_id.in_(bindparam("ids", expanding=True)))
    for part in ("ingredients", "steps", *_TERMS)
}
_INSERTS = {part: insert(_table(part)) for part in _DELETES}


async def write_parts(
    session: AsyncSession, edits: Sequence[tuple[Recipe, Collections]], *, new: bool = False
) -> None:
    """Write the collections each edit gives its recipe in place of the stored ones (``new``:
    the recipes have none yet), one DELETE and one executemany per table, and set them on the
    recipes as loaded."""
    for part in _DELETES:
        chosen = [
            (recipe, values)
            for recipe, given in edits
            if (values := getattr(given, part)) is not None
        ]
        if not chosen:
            continue
        if not new:
            await session.execute(_DELETES[part], {"ids": [recipe.id for recipe, _ in chosen]})
        rows = []
        for recipe, values in chosen:
            written = _rows(part, recipe.id, values)
            if part in ("ingredients", "steps"):
                for item, row in zip(values, written, strict=True):
                    _mirror(item, row)
            rows += written
            set_committed_value(recipe, part, values)
        if rows:
            await session.execute(_INSERTS[part], rows)


def _mirror(item: RecipeIngredient | RecipeStep, row: dict[str, Any]) -> None:
    """Give a line or step the column values of its row (all but the generated id)."""
    for key, value in row.items():
        setattr(item, key, value)
