"""Which recipes use a vocabulary term, as far as one person may know.

A household's terms are shared by all of its recipes, but nobody may learn of, count or change
recipes they cannot read (another member's private ones). So the questions here are asked for
an actor, through the policy's one rule (``readable_by``): recipes the actor may read are the
term's *readable* uses, the others its *hidden* uses. A term is *visible* to an actor when a
readable recipe uses it, or when no recipe uses it at all, trash included (it is then the
household's, like an empty shelf label); a term that only hidden recipes use does not exist
for them. Admins read every recipe, so nothing is hidden from them.

Statements here name the rule themselves, so they run unscoped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    delete,
    distinct,
    exists,
    func,
    not_,
    select,
    update,
)
from sqlalchemy import true as sql_true
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Actor, readable_by, unscoped
from recipevault.recipes.models import (
    Recipe,
    RecipeIngredient,
    VocabularyTerm,
    recipe_categories,
    recipe_tags,
    recipe_tools,
)
from recipevault.recipes.vocabulary.schemas import Kind

_recipes: Table = Recipe.__table__  # type: ignore[assignment]
_ingredients: Table = RecipeIngredient.__table__  # type: ignore[assignment]

# Where recipes point at a term of each kind: (term id column, recipe id column).
USES: dict[Kind, tuple[Any, Any]] = {
    "tags": (recipe_tags.c.tag_id, recipe_tags.c.recipe_id),
    "categories": (recipe_categories.c.category_id, recipe_categories.c.recipe_id),
    "tools": (recipe_tools.c.tool_id, recipe_tools.c.recipe_id),
    "foods": (_ingredients.c.food_id, _ingredients.c.recipe_id),
    "units": (_ingredients.c.unit_id, _ingredients.c.recipe_id),
}
_LINK_TABLES: dict[Kind, Table] = {
    "tags": recipe_tags,
    "categories": recipe_categories,
    "tools": recipe_tools,
}


def _uses(kind: Kind, *columns: Any) -> Any:
    """``columns`` over the term's uses joined to their recipes."""
    term_id, recipe_id = USES[kind]
    return select(*columns).select_from(term_id.table.join(Recipe, Recipe.id == recipe_id))


def visible(actor: Actor, kind: Kind, model: type[VocabularyTerm]) -> ColumnElement[bool]:
    """Whether ``actor`` may see a term of ``model`` (correlated: for a query of terms)."""
    if actor.is_admin:
        return sql_true()
    term_id, _ = USES[kind]
    readable_use = _uses(kind, 1).where(term_id == model.id, readable_by(actor, Recipe))
    any_use = select(1).select_from(term_id.table).where(term_id == model.id)
    return exists(readable_use) | not_(exists(any_use))


async def is_visible(
    session: AsyncSession, actor: Actor, kind: Kind, model: type[VocabularyTerm], term_id: int
) -> bool:
    found = await session.scalar(
        unscoped(select(model.id).where(model.id == term_id, visible(actor, kind, model)))
    )
    return found is not None


async def recipe_counts(
    session: AsyncSession, actor: Actor, kind: Kind, terms: Any, *, include_trashed: bool
) -> dict[int, int]:
    """Recipes ``actor`` may read that use each term among ``terms`` (ids, or a subquery of
    ids), in one grouped query."""
    term_id, recipe_id = USES[kind]
    statement = (
        _uses(kind, term_id, func.count(distinct(recipe_id)))
        .where(term_id.in_(terms), readable_by(actor, Recipe))
        .group_by(term_id)
    )
    if not include_trashed:
        statement = statement.where(Recipe.deleted_at.is_(None))
    rows = await session.execute(unscoped(statement))
    return dict(rows.all())


async def uses_of(
    session: AsyncSession, actor: Actor, kind: Kind, terms: Any
) -> dict[int, tuple[int, bool]]:
    """For each term among ``terms`` (ids, or a subquery of ids) that any recipe uses: how many
    recipes outside the trash the actor may read use it, and whether any recipe the actor may
    read (trash included) does, which makes it visible. Terms missing from the answer are
    unused, so visible too. One grouped query for a whole vocabulary."""
    term_id, recipe_id = USES[kind]
    readable = readable_by(actor, Recipe)
    live = and_(readable, Recipe.deleted_at.is_(None))
    statement = (
        _uses(
            kind,
            term_id,
            func.count(distinct(case((live, recipe_id)))),
            func.max(case((readable, 1), else_=0)),
        )
        .where(term_id.in_(terms))
        .group_by(term_id)
    )
    rows = await session.execute(unscoped(statement))
    return {term: (count, bool(seen)) for term, count, seen in rows}


async def readable_recipes_using(
    session: AsyncSession, actor: Actor, kind: Kind, term_id: int
) -> list[int]:
    """The recipes (trash included) ``actor`` may read that use the term."""
    term_column, recipe_id = USES[kind]
    rows = await session.scalars(
        unscoped(
            _uses(kind, recipe_id)
            .distinct()
            .where(term_column == term_id, readable_by(actor, Recipe))
        )
    )
    return list(rows.all())


async def is_used(session: AsyncSession, kind: Kind, term_id: int) -> bool:
    """Whether any recipe at all (trash included) uses the term."""
    term_column, _ = USES[kind]
    found = await session.scalar(
        unscoped(select(1).select_from(term_column.table).where(term_column == term_id).limit(1))
    )
    return found is not None


async def move_uses(
    session: AsyncSession, kind: Kind, source_id: int, target_id: int, recipe_ids: Sequence[int]
) -> None:
    """Have these recipes use the target term where they used the source."""
    if not recipe_ids:
        return
    term_column, recipe_id = USES[kind]
    link = _LINK_TABLES.get(kind)
    if link is not None:
        # A recipe that has both terms keeps a single link, to the target.
        has_target = select(recipe_id).where(term_column == target_id)
        await session.execute(
            delete(link).where(
                term_column == source_id, recipe_id.in_(recipe_ids), recipe_id.in_(has_target)
            )
        )
    table = link if link is not None else _ingredients
    await session.execute(
        update(table)
        .where(term_column == source_id, recipe_id.in_(recipe_ids))
        .values({term_column.key: target_id})
    )


async def has_hidden_uses(session: AsyncSession, actor: Actor, kind: Kind, term_id: int) -> bool:
    """Whether recipes ``actor`` may not read (trash included) use the term."""
    if actor.is_admin:
        return False
    term_column, _ = USES[kind]
    found = await session.scalar(
        unscoped(
            _uses(kind, 1).where(term_column == term_id, not_(readable_by(actor, Recipe))).limit(1)
        )
    )
    return found is not None


async def recount_foods(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    """``Recipe.food_count`` counts distinct foods; two merged foods on one recipe are one."""
    if not recipe_ids:
        return
    distinct_foods = (
        select(func.count(distinct(_ingredients.c.food_id)))
        .where(_ingredients.c.recipe_id == _recipes.c.id)
        .scalar_subquery()
    )
    await session.execute(
        update(_recipes).where(_recipes.c.id.in_(recipe_ids)).values(food_count=distinct_foods)
    )
