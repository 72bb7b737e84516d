"""Curating a household's vocabularies: list terms with their use, rename, merge, delete.

One implementation serves tags, categories, tools, foods and units; what differs per kind is
where recipes point at a term (a link table, or a column of ingredient lines) and, for foods
and units, how a name turns into a key.

Any member of a household may curate its vocabulary, because the vocabulary is shared by all
of its recipes and nobody owns a term; admins may curate every household's. A household you
are not in answers "not found". Nobody learns of, counts or changes recipes they may not read
through their words (see ``vocabulary.uses``): a term that only such recipes use is "not found",
counts count the recipes you may read, and a rename or merge changes only those:

- Renaming a term that recipes hidden from you also use moves the recipes you can read to a
  term of the new name; the hidden ones keep the old term and its name.
- Merging moves the recipes you can read to the target; the merged term is deleted once no
  recipe uses it (with recipes hidden from you, it stays, for them).
- Renaming to a name that only a term hidden from you has joins your recipes to that term, as
  writing the word into a recipe does; a name that a term you can see has is refused (merge).
- Deleting is for terms no recipe uses, trash included.

Recipes are read from stored documents, so every write here rebuilds the documents of the
recipes it touched, in the same transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import upsert
from recipevault.errors import Conflict, Forbidden, NotFound, Unprocessable, field_errors
from recipevault.households import service as households
from recipevault.policy import Actor, unscoped
from recipevault.recipes import documents
from recipevault.recipes.models import (
    Food,
    FoodName,
    Recipe,
    Unit,
    VocabularyTerm,
)
from recipevault.recipes.search import index as search
from recipevault.recipes.units import unit_for
from recipevault.recipes.vocabulary import uses as term_uses
from recipevault.recipes.vocabulary.resolving import (
    VOCABULARIES,
    display_name,
    plural,
    singular,
    term_key,
    unit_key,
)
from recipevault.recipes.vocabulary.schemas import Kind


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


async def _one_view(
    session: AsyncSession, actor: Actor, kind: Kind, term: VocabularyTerm
) -> TermView:
    await session.flush()
    counts = await term_uses.recipe_counts(session, actor, kind, [term.id], include_trashed=False)
    spellings: set[str] = set()
    if kind == "foods":
        spellings = (await _spellings(session, FoodName.food_id == term.id)).get(term.id, set())
    return _view(kind, term, counts.get(term.id, 0), spellings)


async def _curatable_term(
    session: AsyncSession, actor: Actor, kind: Kind, term_id: int, *, write: bool
) -> VocabularyTerm:
    model = _model(kind)
    term = await session.get(model, term_id)
    if (
        term is None
        or not (actor.is_admin or actor.in_household(term.household_id))
        or not await term_uses.is_visible(session, actor, kind, model, term.id)
    ):
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
    in_households = model.household_id.in_(household_ids)
    uses = await term_uses.uses_of(session, actor, kind, select(model.id).where(in_households))
    # A term recipes use, none of which the actor may read, is not theirs to see.
    terms = [
        term
        for term in (await session.scalars(select(model).where(in_households))).all()
        if uses.get(term.id, (0, True))[1]
    ]
    counts = {term: count for term, (count, _) in uses.items()}
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


async def _namesake(
    session: AsyncSession, kind: Kind, term: VocabularyTerm, name: str, key: str
) -> int | None:
    """Another term of the household that ``name`` already means: the one with its key, or
    for foods, the one a spelling of it (as typed, or singular) belongs to."""
    model = _model(kind)
    found = await session.scalar(
        select(model.id).where(
            model.household_id == term.household_id, model.key == key, model.id != term.id
        )
    )
    if found is not None or kind != "foods":
        return found
    owners = await session.scalars(
        select(FoodName.food_id).where(
            FoodName.household_id == term.household_id,
            FoodName.key.in_({term_key(name), key}),
            FoodName.food_id != term.id,
        )
    )
    return owners.first()


async def rename_term(
    session: AsyncSession, *, actor: Actor, kind: Kind, term_id: int, name: str
) -> TermView:
    term = await _curatable_term(session, actor, kind, term_id, write=True)
    model = _model(kind)
    name = display_name(name)
    key = _key_for(kind, name)
    namesake = await _namesake(session, kind, term, name, key)
    if namesake is not None:
        if await term_uses.is_visible(session, actor, kind, model, namesake):
            raise _name_taken(name, namesake)
        # Only recipes hidden from the actor use that name: theirs join it, as writing the
        # word into them would have done.
        target = await session.get(model, namesake)
        assert target is not None
        return await _fold(session, actor, kind, term, target)
    if await term_uses.has_hidden_uses(session, actor, kind, term.id):
        # Renaming in place would change recipes the actor cannot read.
        return await _fold(session, actor, kind, term, await _new_term(session, term, name, key))
    if isinstance(term, Food):
        await _add_food_spellings(session, term, name, key)
        term.plural_name = plural(key)
    elif isinstance(term, Unit) and key != term.key:
        known = unit_for(key)
        term.plural_name = known.plural if known else None
    term.name, term.key = name, key
    await session.flush()
    await _rebuild(session, await term_uses.readable_recipes_using(session, actor, kind, term.id))
    return await _one_view(session, actor, kind, term)


async def _new_term(
    session: AsyncSession, like: VocabularyTerm, name: str, key: str
) -> VocabularyTerm:
    """A term of ``like``'s kind and household named ``name`` (which no term has)."""
    term: VocabularyTerm
    if isinstance(like, Food):
        term = Food(household_id=like.household_id, name=name, key=key, plural_name=plural(key))
    elif isinstance(like, Unit):
        known = unit_for(key)
        term = Unit(
            household_id=like.household_id,
            name=name,
            key=key,
            plural_name=known.plural if known else None,
        )
    else:
        model: Any = type(like)
        term = model(household_id=like.household_id, name=name, key=key)
    session.add(term)
    await session.flush()
    if isinstance(term, Food):
        await _add_food_spellings(session, term, name, key)
    return term


async def _add_food_spellings(session: AsyncSession, food: Food, name: str, key: str) -> None:
    """Point the new spellings at ``food``; the old ones stay, so text that said the old name
    (imports, shopping lists) still finds it. (``_namesake`` has made sure no other food has
    the name as typed or its singular.)"""
    wanted = {term_key(name), key, plural(key)}
    taken = set(
        (
            await session.scalars(
                select(FoodName.key).where(
                    FoodName.household_id == food.household_id, FoodName.key.in_(wanted)
                )
            )
        ).all()
    )
    # The plural is a convenience: if another food already answers to it, that food keeps it.
    rows = [
        {"household_id": food.household_id, "key": spelling, "food_id": food.id}
        for spelling in sorted(wanted - taken)
    ]
    if rows:
        await session.execute(upsert(session, FoodName).values(rows).on_conflict_do_nothing())


# --- Merging ---------------------------------------------------------------------------------


def _invalid_target(message: str) -> Unprocessable:
    return Unprocessable(
        message,
        extra=field_errors("into", message),
    )


async def merge_terms(
    session: AsyncSession, *, actor: Actor, kind: Kind, term_id: int, into: int
) -> TermView:
    """Fold one term into another of the same household: the recipes the actor may read use
    the target instead, and the merged term goes once no recipe uses it (foods hand their
    spellings over then)."""
    source = await _curatable_term(session, actor, kind, term_id, write=True)
    if into == source.id:
        raise _invalid_target("A term cannot be merged into itself.")
    model = _model(kind)
    target = await session.get(model, into)
    # One answer whether the target is missing, hidden or elsewhere: nothing about other
    # households, or recipes the actor may not read, leaks through this field.
    if (
        target is None
        or target.household_id != source.household_id
        or not await term_uses.is_visible(session, actor, kind, model, target.id)
    ):
        raise _invalid_target("Merge into a term of the same household's vocabulary.")
    return await _fold(session, actor, kind, source, target)


async def _fold(
    session: AsyncSession, actor: Actor, kind: Kind, source: VocabularyTerm, target: VocabularyTerm
) -> TermView:
    """Have the recipes ``actor`` may read use ``target`` instead of ``source``; ``source``
    is deleted when that leaves it unused, and kept for the recipes hidden from the actor."""
    affected = await term_uses.readable_recipes_using(session, actor, kind, source.id)
    await term_uses.move_uses(session, kind, source.id, target.id, affected)
    if not await term_uses.is_used(session, kind, source.id):
        if kind == "foods":
            await session.execute(
                update(FoodName).where(FoodName.food_id == source.id).values(food_id=target.id)
            )
        await session.delete(source)
    if kind == "foods":
        await term_uses.recount_foods(session, affected)
    await session.flush()
    await _rebuild(session, affected)
    return await _one_view(session, actor, kind, target)


# --- Deleting --------------------------------------------------------------------------------


async def delete_term(session: AsyncSession, *, actor: Actor, kind: Kind, term_id: int) -> None:
    """Delete a term nobody uses. Trashed recipes count: they can be restored. (A term the
    actor sees is used by recipes they may read, or by none at all.)"""
    term = await _curatable_term(session, actor, kind, term_id, write=True)
    counts = await term_uses.recipe_counts(session, actor, kind, [term.id], include_trashed=True)
    if count := counts.get(term.id, 0):
        raise TermInUse(
            f"{count} recipe{'s' if count != 1 else ''} use '{term.name}' (trash included); "
            "merge it into another term instead.",
            extra={"recipe_count": count},
        )
    if kind == "foods":
        await session.execute(delete(FoodName).where(FoodName.food_id == term.id))
    await session.delete(term)
    await session.flush()
