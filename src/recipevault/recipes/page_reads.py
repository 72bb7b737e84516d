"""The website's reads: recipes by page address, tag suggestions, and history with the recipe
before and after each edit. The use cases they build on live in ``service``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import Database
from recipevault.errors import Forbidden
from recipevault.policy import Actor, Viewer, can_edit, can_read, unscoped
from recipevault.recipes import documents
from recipevault.recipes.models import Category, Recipe, RecipeRevision, Tag, VocabularyTerm
from recipevault.recipes.schemas import PersonRef
from recipevault.recipes.service import (
    RecipeNotFound,
    list_revisions,
    revision_authors,
    stored_document,
)
from recipevault.recipes.vocabulary import uses as term_uses
from recipevault.recipes.vocabulary.schemas import Kind


async def readable_document(
    database: Database, *, viewer: Viewer, slug: str
) -> documents.StoredRecipe:
    """The stored recipe at ``slug`` for a safe request that has no session (the recipe page):
    one indexed read, as committed. Hidden and missing recipes are both "not found"."""
    stored = await documents.stored_recipe(database, slug=slug)
    if stored is None or not can_read(viewer, stored):
        raise RecipeNotFound()
    return stored


async def recipe_id_for_slug(session: AsyncSession, *, slug: str, trashed: bool = False) -> int:
    """The id behind a page address; callers authorize through the use case they call next."""
    deleted = Recipe.deleted_at.is_not(None) if trashed else Recipe.deleted_at.is_(None)
    recipe_id = await session.scalar(
        unscoped(select(Recipe.id).where(Recipe.slug == slug, deleted))
    )
    if recipe_id is None:
        raise RecipeNotFound()
    return int(recipe_id)


async def editable_document(
    session: AsyncSession, *, actor: Actor, recipe_id: int
) -> documents.StoredRecipe:
    """The stored recipe, if ``actor`` may change it (one query, no ORM loading)."""
    stored = await documents.stored_recipe(session, recipe_id)
    if stored is None or not can_read(actor, stored):
        raise RecipeNotFound()
    if not can_edit(actor, stored):
        raise Forbidden("You can read this but not change it.")
    return stored


_SUGGESTED: tuple[tuple[Kind, type[VocabularyTerm]], ...] = (
    ("tags", Tag),
    ("categories", Category),
)


async def term_suggestions(session: AsyncSession, *, actor: Actor) -> dict[str, list[str]]:
    """The tags and categories of the actor's households, to suggest while typing: those the
    actor may see (not the words of another member's private recipes)."""
    household_ids = sorted(actor.household_ids) or [-1]
    suggestions: dict[str, list[str]] = {}
    for kind, model in _SUGGESTED:
        names = await session.scalars(
            unscoped(
                select(model.name)
                .where(model.household_id.in_(household_ids), term_uses.visible(actor, kind, model))
                .limit(1000)
            )
        )
        unique = {name.casefold(): name for name in names}
        suggestions[kind] = sorted(unique.values(), key=str.casefold)
    return suggestions


@dataclass(frozen=True, slots=True)
class RevisionStep:
    """One edit in a recipe's history: the version before it (``revision.snapshot``), who made
    it, and the recipe as the edit left it (the next revision's snapshot, or the current one)."""

    revision: RecipeRevision
    author: PersonRef | None
    after: dict[str, Any]


async def revision_history(
    session: AsyncSession, *, actor: Actor, recipe_id: int
) -> list[RevisionStep]:
    """Every edit, newest first, each with the recipe before and after it."""
    revisions = await list_revisions(session, actor=actor, recipe_id=recipe_id)
    authors = await revision_authors(session, revisions)
    current = await stored_document(session, recipe_id)
    # Revision N holds version N; versions only ever grow by one, so N + 1 is the next one.
    snapshots = {revision.number: revision.snapshot for revision in revisions}
    return [
        RevisionStep(
            revision=revision,
            author=authors.get(revision.author_id),
            after=snapshots.get(revision.number + 1, current),
        )
        for revision in revisions
    ]


async def version_snapshot(
    session: AsyncSession, *, actor: Actor, recipe_id: int, version: int
) -> dict[str, Any] | None:
    """The recipe as it was at ``version`` (None when that version is unknown), for showing
    an editor what changed since they loaded it."""
    stored = await editable_document(session, actor=actor, recipe_id=recipe_id)
    current = dict(orjson.loads(stored.body))
    if current["version"] == version:
        return current
    snapshot = await session.scalar(
        select(RecipeRevision.snapshot).where(
            RecipeRevision.recipe_id == recipe_id, RecipeRevision.number == version
        )
    )
    return None if snapshot is None else dict(snapshot)
