"""Recipe use cases: create, replace, patch, trash and restore, with revisions and ETags.

A write loads the recipe's row and its stored document; applies the edit in memory; builds
the new document from the recipe in memory, taking the collections the edit leaves as they are
from the stored document rather than from their rows; compares it with the stored document (the
revision's snapshot); and, if anything a reader sees changed, writes the rows it changed
(``recipe_rows``), the revision, the new document (``documents``) and, where the words or foods
changed, the search index, all in the request's transaction. Reads of whole recipes come from
those documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from slugify import slugify
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from recipevault.accounts.service import display_names
from recipevault.clock import utcnow
from recipevault.db import upsert
from recipevault.errors import NotFound, PreconditionFailed, Unprocessable, field_errors
from recipevault.households.service import household_exists, memberships, personal_household_id
from recipevault.jobs.queue import JobQueue
from recipevault.policy import Actor, require_editable, require_editor, unscoped
from recipevault.recipes import documents
from recipevault.recipes.images.addresses import follow_visibility
from recipevault.recipes.images.jobs import image_prefix, remove_later
from recipevault.recipes.input_mapping import (
    apply_input,
    effective_line,
    input_from_snapshot,
    input_values,
    new_recipe,
    total_was_given,
)
from recipevault.recipes.models import (
    Category,
    Recipe,
    RecipeImage,
    RecipeRevision,
    Tag,
    Tool,
)
from recipevault.recipes.recipe_rows import Collections, load_parts, missing_parts, write_parts
from recipevault.recipes.schemas import (
    PersonRef,
    RecipeCreate,
    RecipeUpdate,
)
from recipevault.recipes.search import index as search
from recipevault.recipes.vocabulary.resolving import Vocabulary

TRASH_DAYS = 30
# Addresses of website pages under /recipes/ that a recipe's slug must never shadow.
RESERVED_SLUGS = frozenset({"new", "trash"})
# Fields whose change does not count as an edit someone made. Images change through their own
# routes and are not part of revisions.
_BOOKKEEPING = frozenset({"version", "updated_at", "created_at", "id", "slug", "images"})


class RecipeNotFound(NotFound):
    title = "Recipe not found"


class RevisionNotFound(NotFound):
    title = "Revision not found"


class EditConflict(PreconditionFailed):
    title = "The recipe changed since you loaded it"
    code = "edit-conflict"


# --- Loading with authorization ------------------------------------------------------------


async def _load(session: AsyncSession, recipe_id: int, *, trashed: bool = False) -> Recipe | None:
    """The recipe's row; its collections are loaded by whoever needs them."""
    statement = unscoped(select(Recipe).where(Recipe.id == recipe_id))
    statement = statement.where(
        Recipe.deleted_at.is_not(None) if trashed else Recipe.deleted_at.is_(None)
    )
    return (await session.scalars(statement)).first()


async def editable_recipe(
    session: AsyncSession, *, actor: Actor, recipe_id: int, trashed: bool = False
) -> Recipe:
    return require_editable(actor, await _load(session, recipe_id, trashed=trashed), RecipeNotFound)


async def _stored(session: AsyncSession, recipe_id: int) -> documents.StoredRecipe:
    stored = await documents.stored_recipe(session, recipe_id)
    if stored is None:
        raise RecipeNotFound()
    return stored


def _check_if_match(recipe: Recipe, etag: str, if_match: str | None) -> None:
    if if_match is None:
        return
    if if_match.strip() != "*" and etag not in [tag.strip() for tag in if_match.split(",")]:
        raise EditConflict(
            f"Version {recipe.version} is current; reload it and apply your change again.",
            extra={"current_version": recipe.version, "etag": etag},
        )


async def _edited(
    session: AsyncSession, actor: Actor, recipe_id: int, if_match: str | None
) -> tuple[Recipe, dict[str, Any]]:
    """The recipe about to be edited, and its stored document (the version it replaces)."""
    recipe = await editable_recipe(session, actor=actor, recipe_id=recipe_id)
    stored = await _stored(session, recipe.id)
    _check_if_match(recipe, stored.etag, if_match)
    return recipe, stored.fields()


SLUG_WINDOW = 20


def _slug_base(title: str) -> str:
    return slugify(title, max_length=200, word_boundary=True) or "recipe"


async def _free_slug(session: AsyncSession, base: str, taken: Iterable[str]) -> str:
    """``base``, or else ``base-2``, ``base-3``... whichever is free first. Candidates are
    looked up a window at a time by equality on the unique index: a pattern match
    (slug LIKE 'base-%') cannot use it, and scanned every recipe for each collision."""
    taken = set(taken)
    start = 1
    while True:
        candidates = [
            base if number == 1 else f"{base}-{number}"
            for number in range(start, start + SLUG_WINDOW)
        ]
        free = [candidate for candidate in candidates if candidate not in taken]
        if free:
            existing = set(
                (
                    await session.scalars(
                        unscoped(select(Recipe.slug)).where(Recipe.slug.in_(free))
                    )
                ).all()
            )
            for candidate in free:
                if candidate not in existing:
                    return candidate
        start += SLUG_WINDOW


async def _household_for(
    session: AsyncSession, actor: Actor, household_id: int | None, *, owner_id: int
) -> int:
    if household_id is None:
        return await personal_household_id(session, owner_id)
    if household_id in {household for household, _ in await memberships(session, owner_id)}:
        return household_id
    if not actor.is_admin:
        raise Unprocessable(
            "You can only put recipes in households you belong to.",
            extra=field_errors("household_id", "Not one of your households"),
        )
    if not await household_exists(session, household_id):
        raise Unprocessable(
            "There is no household with that id.",
            extra=field_errors("household_id", "No such household"),
        )
    return household_id


async def check_household(session: AsyncSession, *, actor: Actor, household_id: int) -> None:
    """Refuse (422) a household ``actor`` may not put their recipes in, before starting work
    that would (an import job), rather than when that work gets to it."""
    await _household_for(session, actor, household_id, owner_id=actor.user_id)


# --- Use cases -------------------------------------------------------------------------------


async def create_recipe(
    session: AsyncSession, *, actor: Actor, data: RecipeCreate, ip: str | None = None
) -> Recipe:
    household_id = await _household_for(session, actor, data.household_id, owner_id=actor.user_id)
    recipe = new_recipe(actor, data, "", utcnow())
    values = input_values(data, partial=False)
    given = await apply_input(recipe, Vocabulary(session, household_id), values)
    await _insert(session, recipe)
    await write_parts(session, [(recipe, given)], new=True)
    await documents.write_documents(session, [recipe])
    await search.index_recipes(session, [recipe])
    return recipe


async def _insert(session: AsyncSession, recipe: Recipe) -> None:
    """Insert a new recipe's row under the first free slug of its title, and keep the object
    as the stored recipe. Two creates of one title at once may both find the same slug free:
    the one that inserts second skips the insert (no error, which would end a PostgreSQL
    transaction) and takes the next free slug."""
    base, taken = _slug_base(recipe.title), set(RESERVED_SLUGS)
    values = {
        attribute.key: getattr(recipe, attribute.key)
        for attribute in inspect(Recipe).column_attrs
        if attribute.key != "id"
    }
    while True:
        values["slug"] = await _free_slug(session, base, taken)
        recipe_id = await session.scalar(
            upsert(session, Recipe)
            .values(values)
            .on_conflict_do_nothing(index_elements=["slug"])
            .returning(Recipe.id)
        )
        if recipe_id is not None:
            break
        taken.add(values["slug"])  # another create took it since it was looked up
    recipe.slug, recipe.id = values["slug"], recipe_id
    make_transient_to_detached(recipe)
    session.add(recipe)


async def create_recipes(
    session: AsyncSession, *, actor: Actor, household_id: int, recipes: Sequence[RecipeCreate]
) -> list[int]:
    """Create many recipes in one household with a handful of queries per batch (imports,
    demo data). The caller has checked that ``actor`` may write to ``household_id``."""
    vocabulary = Vocabulary(session, household_id)
    slugs = await _unique_slugs(session, [data.title for data in recipes])
    lines = [[effective_line(item) for item in data.ingredients] for data in recipes]
    every_line = [line for recipe_lines in lines for line in recipe_lines]
    await vocabulary.prime(
        terms={
            Tag: [name for data in recipes for name in data.tags],
            Category: [name for data in recipes for name in data.categories],
            Tool: [name for data in recipes for name in data.tools],
        },
        foods=[line["food"][:100] for line in every_line if line["food"]],
        units=[line["unit"][:50] for line in every_line if line["unit"]],
    )
    now = utcnow()
    created: list[tuple[Recipe, Collections]] = []
    for data, slug, recipe_lines in zip(recipes, slugs, lines, strict=True):
        recipe = new_recipe(actor, data, slug, now)
        values = input_values(data, partial=False)
        created.append((recipe, await apply_input(recipe, vocabulary, values, recipe_lines)))
    session.add_all([recipe for recipe, _ in created])
    await session.flush()
    await write_parts(session, created, new=True)
    stored = [recipe for recipe, _ in created]
    await documents.write_documents(session, stored)
    await search.index_recipes(session, stored)
    return [recipe.id for recipe in stored]


async def _unique_slugs(session: AsyncSession, titles: Sequence[str]) -> list[str]:
    bases = [_slug_base(title) for title in titles]
    taken = set(RESERVED_SLUGS) | set(
        (
            await session.scalars(
                unscoped(select(Recipe.slug)).where(Recipe.slug.in_(sorted(set(bases))))
            )
        ).all()
    )
    slugs = []
    for base in bases:
        slug = base if base not in taken else await _free_slug(session, base, taken)
        taken.add(slug)
        slugs.append(slug)
    return slugs


async def update_recipe(
    session: AsyncSession,
    *,
    actor: Actor,
    recipe_id: int,
    data: RecipeCreate | RecipeUpdate,
    partial: bool,
    if_match: str | None,
) -> Recipe:
    """Replace (PUT) or patch a recipe; the version before it is kept as a revision."""
    recipe, before = await _edited(session, actor, recipe_id, if_match)
    household_id = await _edited_household(session, actor, recipe, data.household_id)
    values = input_values(data, partial=partial)
    moved = household_id != recipe.household_id
    if moved:
        # Terms belong to a household: moving the recipe re-files everything it names.
        kept = input_from_snapshot(before)
        for name in ("tags", "categories", "tools", "ingredients"):
            values.setdefault(name, getattr(kept, name))
    given = await apply_input(recipe, Vocabulary(session, household_id), values)
    return await _commit_edit(
        session, actor=actor, recipe=recipe, before=before, given=given, moved=moved
    )


async def _edited_household(
    session: AsyncSession, actor: Actor, recipe: Recipe, requested: int | None
) -> int:
    """The household an edited recipe is filed in: the one asked for, else its own. A recipe
    whose household was deleted (its last member left) has none, and goes where its owner's
    private recipes live; its terms move with it, as in any move."""
    if requested is not None:
        return await _household_for(session, actor, requested, owner_id=recipe.owner_id)
    if recipe.household_id is None:
        return await personal_household_id(session, recipe.owner_id)
    return recipe.household_id


async def stored_document(session: AsyncSession, recipe_id: int) -> dict[str, Any]:
    """The fields of a recipe's stored document, as this transaction sees it (the caller
    authorized it); ``RecipeNotFound`` once it is in the trash."""
    return (await _stored(session, recipe_id)).fields()


_WORDS = frozenset({"title", "description", "ingredients", "steps"})
"""The fields the search index reads words from."""


def _foods(document: dict[str, Any]) -> set[str]:
    return {line["food"] for line in document["ingredients"] if line["food"] is not None}


async def _commit_edit(
    session: AsyncSession,
    *,
    actor: Actor,
    recipe: Recipe,
    before: dict[str, Any],
    given: Collections,
    moved: bool,
) -> Recipe:
    """Write what an edit applied to ``recipe`` in memory changed. ``before`` is its stored
    document; ``moved``: the edit files it in another household."""
    # A document older than the flag says by its numbers whether its total was given.
    before.setdefault("total_minutes_given", total_was_given(before))
    for part, values in given.given().items():
        set_committed_value(recipe, part, values)  # written below, if anything changed
    # The collections the edit leaves as they are go into the new document as the stored one
    # has them, without reading their rows; but the images' addresses follow the visibility
    # (``images.addresses``), so they are loaded to be given new ones when it changes, and a
    # collection a document written by an older version does not hold is read.
    visibility_changed = recipe.visibility.value != before["visibility"]
    await load_parts(
        session,
        [recipe],
        [
            part
            for part in missing_parts(recipe, given)
            if part not in before or (part == "images" and visibility_changed)
        ],
    )
    if "images" not in inspect(recipe).unloaded:
        follow_visibility(recipe)
    fields = documents.recipe_fields(recipe, kept=before)
    after = orjson.loads(orjson.dumps(fields))
    changed = sorted(
        key for key in after if key not in _BOOKKEEPING and after.get(key) != before.get(key)
    )
    if not changed and not moved:
        return recipe  # nothing a reader could see changed: no new version, nothing written
    # A collection given as it was is left as it is; a move re-files every one in the new
    # household's vocabularies, whose rows its document does not tell apart.
    # The recipe's row is written once, with its new version, not flushed before the rows.
    with session.no_autoflush:
        await write_parts(session, [(recipe, given if moved else given.only(changed))])
    if changed:
        session.add(
            RecipeRevision(
                recipe_id=recipe.id,
                number=recipe.version,
                author_id=actor.user_id,
                changed_fields=changed,
                snapshot=before,
            )
        )
        recipe.version += 1
        recipe.updated_at = utcnow()
        fields |= {"version": recipe.version, "updated_at": recipe.updated_at}
        await documents.write_documents(session, [recipe], built={recipe.id: fields})
    else:
        await session.flush()
    await search.index_recipes(
        session,
        [recipe],
        words=not _WORDS.isdisjoint(changed),
        foods=moved or _foods(before) != _foods(after),
        documents={recipe.id: fields},
    )
    return recipe


async def trash_recipe(
    session: AsyncSession, *, actor: Actor, recipe_id: int, if_match: str | None, ip: str | None
) -> None:
    recipe, _ = await _edited(session, actor, recipe_id, if_match)
    recipe.deleted_at = utcnow()
    # Its images are no longer public: those that were move to new addresses, which its
    # document names. Nothing else in the document changes.
    await load_parts(session, [recipe], ["images"])
    if any(image.token_public for image in recipe.images):
        await documents.rebuild_documents(session, [recipe.id])
    else:
        await session.flush()
    await search.unindex_recipes(session, [recipe.id])


async def restore_from_trash(session: AsyncSession, *, actor: Actor, recipe_id: int) -> Recipe:
    recipe = await editable_recipe(session, actor=actor, recipe_id=recipe_id, trashed=True)
    recipe.deleted_at = None
    await documents.rebuild_documents(session, [recipe.id])
    return recipe


async def list_trash(session: AsyncSession, *, actor: Actor) -> list[Recipe]:
    statement = (
        select(Recipe)
        .where(Recipe.deleted_at.is_not(None))
        .order_by(Recipe.deleted_at.desc(), Recipe.id.desc())
    )
    if not actor.is_admin:
        statement = statement.where(Recipe.owner_id == actor.user_id)
    return list((await session.scalars(unscoped(statement))).all())


async def purge_trash(
    session: AsyncSession, *, queue: JobQueue, now: datetime | None = None
) -> int:
    """Delete for good what has been in the trash longer than ``TRASH_DAYS``, and (once that
    has committed) their images' files. Trashed recipes keep their images until then."""
    cutoff = (now or utcnow()) - timedelta(days=TRASH_DAYS)
    expired = (Recipe.deleted_at.is_not(None), Recipe.deleted_at < cutoff)
    # Files go by image, not by recipe: SQLite may give a purged recipe's id to a new one.
    images = (
        await session.execute(
            unscoped(select(RecipeImage.recipe_id, RecipeImage.id).join(Recipe)).where(*expired)
        )
    ).all()
    purged = set((await session.scalars(delete(Recipe).where(*expired).returning(Recipe.id))).all())
    prefixes = [
        image_prefix(recipe_id, image_id) for recipe_id, image_id in images if recipe_id in purged
    ]
    if prefixes:
        await remove_later(session, queue=queue, prefixes=prefixes)
    return len(purged)


# --- Revisions ------------------------------------------------------------------------------


async def _check_history_reader(session: AsyncSession, actor: Actor, recipe_id: int) -> None:
    """Whoever may change a recipe may read its revisions, even through a read-only token."""
    require_editor(actor, await _load(session, recipe_id), RecipeNotFound)


async def list_revisions(
    session: AsyncSession, *, actor: Actor, recipe_id: int
) -> list[RecipeRevision]:
    await _check_history_reader(session, actor, recipe_id)
    result = await session.scalars(
        select(RecipeRevision)
        .where(RecipeRevision.recipe_id == recipe_id)
        .order_by(RecipeRevision.number.desc())
    )
    return list(result.all())


async def get_revision(
    session: AsyncSession, *, actor: Actor, recipe_id: int, number: int
) -> RecipeRevision:
    await _check_history_reader(session, actor, recipe_id)
    return await _revision(session, recipe_id, number)


async def _revision(session: AsyncSession, recipe_id: int, number: int) -> RecipeRevision:
    revision = await session.scalar(
        select(RecipeRevision).where(
            RecipeRevision.recipe_id == recipe_id, RecipeRevision.number == number
        )
    )
    if revision is None:
        raise RevisionNotFound()
    return revision


async def restore_revision(
    session: AsyncSession, *, actor: Actor, recipe_id: int, number: int
) -> Recipe:
    """Bring back an old version as a new one: history is only ever added to."""
    recipe, before = await _edited(session, actor, recipe_id, None)
    revision = await _revision(session, recipe.id, number)
    data = input_from_snapshot(revision.snapshot)
    household_id = await _edited_household(session, actor, recipe, None)
    moved = household_id != recipe.household_id
    vocabulary = Vocabulary(session, household_id)
    given = await apply_input(recipe, vocabulary, input_values(data, partial=False))
    return await _commit_edit(
        session, actor=actor, recipe=recipe, before=before, given=given, moved=moved
    )


async def revision_authors(
    session: AsyncSession, revisions: Sequence[RecipeRevision]
) -> dict[int | None, PersonRef]:
    ids = {r.author_id for r in revisions if r.author_id is not None}
    names = await display_names(session, ids)
    return {uid: PersonRef(id=uid, display_name=name) for uid, name in names.items()}


async def count_recipes_of(session: AsyncSession, owner_id: int) -> int:
    return int(
        await session.scalar(
            unscoped(select(func.count()).select_from(Recipe)).where(Recipe.owner_id == owner_id)
        )
        or 0
    )
