"""Curating a household's vocabularies: list terms with their use, rename, merge, delete.

One implementation serves tags, categories, tools, foods and units; what differs per kind is
where recipes point at a term (a link table, or a column of ingredient lines) and, for foods
and units, how a name turns into a key.

Any member of a household may curate its vocabulary, because the vocabulary is shared by all
of its recipes and nobody owns a term; admins may curate every household's. A household you
are not in answers "not found". Usage counts cover every recipe of the household, whoever may
read it, because a rename or merge changes those recipes too.

Recipes are read from stored documents, so every write here rebuilds the documents of the
recipes it touched, in the same transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, distinct, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_errors
from recipevault.households import service as households
from recipevault.policy import Actor, unscoped
from recipevault.recipes import documents, search
from recipevault.recipes.models import (
    Food,
    FoodName,
    Recipe,
    RecipeIngredient,
    Unit,
    VocabularyTerm,
    recipe_categories,
    recipe_tags,
    recipe_tools,
)
from recipevault.recipes.terms_schemas import Kind
from recipevault.recipes.units import unit_for
from recipevault.recipes.vocabulary import (
    VOCABULARIES,
    display_name,
    plural,
    singular,
    term_key,
    unit_key,
)

_recipes: Table = Recipe.__table__  # type: ignore[assignment]
_ingredients: Table = RecipeIngredient.__table__  # type: ignore[assignment]

# Where recipes point at a term of each kind: (term id column, recipe id column).
_USES: dict[Kind, tuple[Any, Any]] = {
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


class TermNotFound(NotFound):
    title = "Term not found"


class TermNameTaken(Conflict):
    code = "term-name-taken"
    title = "Another term already has this name"


class TermInUse(Conflict):
    code = "term-in-use"
    title = "The term is in use"


@dataclass(frozen=True, slots=True)
class TermView:
    """A term as the API shows it; ``plural_name``, ``abbreviation`` and ``aliases`` only
    mean something for the kinds that have them."""

    kind: Kind
    id: int
    household_id: int
    name: str
    recipe_count: int
    plural_name: str | None = None
    abbreviation: str | None = None
    aliases: tuple[str, ...] = ()


# --- Queries ---------------------------------------------------------------------------------


def _model(kind: Kind) -> type[VocabularyTerm]:
    return VOCABULARIES[kind]


async def _recipe_counts(
    session: AsyncSession, kind: Kind, terms: Any, *, include_trashed: bool
) -> dict[int, int]:
    """Recipes using each term among ``terms`` (ids, or a subquery of ids), in one grouped
    query. Unscoped: the caller authorized the household, and every recipe in it counts."""
    term_id, recipe_id = _USES[kind]
    statement = (
        select(term_id, func.count(distinct(recipe_id))).where(term_id.in_(terms)).group_by(term_id)
    )
    if not include_trashed:
        statement = statement.join(_recipes, _recipes.c.id == recipe_id).where(
            _recipes.c.deleted_at.is_(None)
        )
    rows = await session.execute(unscoped(statement))
    return dict(rows.all())


async def _recipes_using(session: AsyncSession, kind: Kind, term_id: int) -> list[int]:
    term_column, recipe_id = _USES[kind]
    rows = await session.scalars(
        unscoped(select(recipe_id).distinct().where(term_column == term_id))
    )
    return list(rows.all())


async def _spellings(session: AsyncSession, condition: ColumnElement[bool]) -> dict[int, set[str]]:
    rows = await session.execute(select(FoodName.food_id, FoodName.key).where(condition))
    found: dict[int, set[str]] = {}
    for food_id, key in rows:
        found.setdefault(food_id, set()).add(key)
    return found


def _view(kind: Kind, term: VocabularyTerm, count: int, spellings: Iterable[str] = ()) -> TermView:
    plural_name = abbreviation = None
    aliases: tuple[str, ...] = ()
    if isinstance(term, Food):
        plural_name = term.plural_name
        # Aliases are the spellings that are neither the name nor its plural.
        shown = {term.key, term_key(term.name), term_key(term.plural_name or "")}
        aliases = tuple(sorted(set(spellings) - shown))
    elif isinstance(term, Unit):
        plural_name, abbreviation = term.plural_name, term.abbreviation
    return TermView(
        kind=kind,
        id=term.id,
        household_id=term.household_id,
        name=term.name,
        recipe_count=count,
        plural_name=plural_name,
        abbreviation=abbreviation,
        aliases=aliases,
    )


async def _one_view(session: AsyncSession, kind: Kind, term: VocabularyTerm) -> TermView:
    await session.flush()
    counts = await _recipe_counts(session, kind, [term.id], include_trashed=False)
    spellings: set[str] = set()
    if kind == "foods":
        spellings = (await _spellings(session, FoodName.food_id == term.id)).get(term.id, set())
    return _view(kind, term, counts.get(term.id, 0), spellings)


async def _curatable_term(
    session: AsyncSession, actor: Actor, kind: Kind, term_id: int, *, write: bool
) -> VocabularyTerm:
    term = await session.get(_model(kind), term_id)
    if term is None or not (actor.is_admin or actor.in_household(term.household_id)):
        raise TermNotFound()
    if write and not actor.can_write:
        raise Forbidden("This API token may only read; create one with the write scope.")
    return term


async def _rebuild(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    """Re-serialize the recipes a vocabulary change touched. Trashed ones too, since the trash
    lists their stored summaries, but they are kept out of search, as trashing left them."""
    if not recipe_ids:
        return
    trashed = (
        await session.scalars(
            unscoped(
                select(Recipe.id).where(Recipe.id.in_(recipe_ids), Recipe.deleted_at.is_not(None))
            )
        )
    ).all()
    await documents.rebuild_documents(session, recipe_ids)
    await search.unindex_recipes(session, trashed)


# --- Listing ---------------------------------------------------------------------------------


async def list_terms(
    session: AsyncSession, *, actor: Actor, kind: Kind, household_id: int | None = None
) -> list[TermView]:
    """The terms of your households, or of the one given, sorted by name. Admins may name any
    household; without one they get their own households' terms, like everyone."""
    if household_id is None:
        household_ids = sorted(actor.household_ids)
    elif actor.in_household(household_id):
        household_ids = [household_id]
    elif actor.is_admin:
        await households.get_household(session, actor=actor, household_id=household_id)
        household_ids = [household_id]
    else:
        raise households.HouseholdNotFound()
    if not household_ids:
        return []
    model = _model(kind)
    terms = (
        await session.scalars(select(model).where(model.household_id.in_(household_ids)))
    ).all()
    in_households = select(model.id).where(model.household_id.in_(household_ids))
    counts = await _recipe_counts(session, kind, in_households, include_trashed=False)
    spellings: dict[int, set[str]] = {}
    if kind == "foods":
        spellings = await _spellings(session, FoodName.household_id.in_(household_ids))
    views = [_view(kind, t, counts.get(t.id, 0), spellings.get(t.id, ())) for t in terms]
    # Sorted here rather than by the database, whose collations differ between backends.
    return sorted(views, key=lambda v: (v.name.casefold(), v.name, v.id))


# --- Renaming --------------------------------------------------------------------------------


def _key_for(kind: Kind, name: str) -> str:
    if kind == "foods":
        return singular(term_key(name))
    if kind == "units":
        return unit_key(name)
    return term_key(name)


def _name_taken(name: str, term_id: int) -> TermNameTaken:
    return TermNameTaken(
        f"'{name}' is already a term in this household; merge into it instead of renaming.",
        extra={"existing_term_id": term_id},
    )


async def rename_term(
    session: AsyncSession, *, actor: Actor, kind: Kind, term_id: int, name: str
) -> TermView:
    term = await _curatable_term(session, actor, kind, term_id, write=True)
    model = _model(kind)
    name = display_name(name)
    key = _key_for(kind, name)
    clash = await session.scalar(
        select(model.id).where(
            model.household_id == term.household_id, model.key == key, model.id != term.id
        )
    )
    if clash is not None:
        raise _name_taken(name, clash)
    if isinstance(term, Food):
        await _add_food_spellings(session, term, name, key)
        term.plural_name = plural(key)
    elif isinstance(term, Unit) and key != term.key:
        known = unit_for(key)
        term.plural_name = known.plural if known else None
    term.name, term.key = name, key
    await session.flush()
    await _rebuild(session, await _recipes_using(session, kind, term.id))
    return await _one_view(session, kind, term)


async def _add_food_spellings(session: AsyncSession, food: Food, name: str, key: str) -> None:
    """Point the new spellings at ``food``; the old ones stay, so text that said the old name
    (imports, shopping lists) still finds it. A spelling that already means another food
    makes the rename a merge in disguise, and is refused."""
    typed = term_key(name)
    wanted = {typed, key, plural(key)}
    owners = dict(
        (
            await session.execute(
                select(FoodName.key, FoodName.food_id).where(
                    FoodName.household_id == food.household_id, FoodName.key.in_(wanted)
                )
            )
        ).all()
    )
    for spelling in (typed, key):
        if owners.get(spelling, food.id) != food.id:
            raise _name_taken(name, owners[spelling])
    # The plural is a convenience: if another food already answers to it, that food keeps it.
    rows = [
        {"household_id": food.household_id, "key": spelling, "food_id": food.id}
        for spelling in sorted(wanted - owners.keys())
    ]
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(insert(FoodName).values(rows).on_conflict_do_nothing())


# --- Merging ---------------------------------------------------------------------------------


def _invalid_target(message: str) -> ValidationFailed:
    return ValidationFailed(
        message,
        extra=field_errors("into", message),
    )


async def merge_terms(
    session: AsyncSession, *, actor: Actor, kind: Kind, term_id: int, into: int
) -> TermView:
    """Fold one term into another of the same household: its recipes use the target instead,
    foods keep every spelling, and the merged term is deleted."""
    source = await _curatable_term(session, actor, kind, term_id, write=True)
    if into == source.id:
        raise _invalid_target("A term cannot be merged into itself.")
    target = await session.get(_model(kind), into)
    # One answer whether the target is missing, hidden or elsewhere: nothing about other
    # households leaks through this field.
    if target is None or target.household_id != source.household_id:
        raise _invalid_target("Merge into a term of the same household's vocabulary.")
    affected = await _recipes_using(session, kind, source.id)
    await _repoint(session, kind, source.id, target.id)
    if kind == "foods":
        await session.execute(
            update(FoodName).where(FoodName.food_id == source.id).values(food_id=target.id)
        )
        await _recount_foods(session, affected)
    await session.delete(source)
    await session.flush()
    await _rebuild(session, affected)
    return await _one_view(session, kind, target)


async def _repoint(session: AsyncSession, kind: Kind, source_id: int, target_id: int) -> None:
    term_column, recipe_id = _USES[kind]
    link = _LINK_TABLES.get(kind)
    if link is not None:
        # A recipe that has both terms keeps a single link, to the target.
        has_target = select(recipe_id).where(term_column == target_id)
        await session.execute(
            delete(link).where(term_column == source_id, recipe_id.in_(has_target))
        )
    table = link if link is not None else _ingredients
    await session.execute(
        update(table).where(term_column == source_id).values({term_column.key: target_id})
    )


async def _recount_foods(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
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


# --- Deleting --------------------------------------------------------------------------------


async def delete_term(session: AsyncSession, *, actor: Actor, kind: Kind, term_id: int) -> None:
    """Delete a term nobody uses. Trashed recipes count: they can be restored."""
    term = await _curatable_term(session, actor, kind, term_id, write=True)
    count = (await _recipe_counts(session, kind, [term.id], include_trashed=True)).get(term.id, 0)
    if count:
        raise TermInUse(
            f"{count} recipe{'s' if count != 1 else ''} use '{term.name}' (trash included); "
            "merge it into another term instead.",
            extra={"recipe_count": count},
        )
    if kind == "foods":
        await session.execute(delete(FoodName).where(FoodName.food_id == term.id))
    await session.delete(term)
    await session.flush()
