"""Recipe use cases: create, replace, patch, trash and restore, with revisions and ETags.

Writes go through the ORM and end by rebuilding the recipe's document and search entry in the
same transaction; reads of whole recipes come from those documents (see ``documents.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from slugify import slugify
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.service import display_names
from recipevault.clock import utcnow
from recipevault.errors import NotFound, PreconditionFailed, ValidationFailed, field_errors
from recipevault.households.service import memberships, personal_household_id
from recipevault.jobs.queue import JobQueue
from recipevault.policy import Actor, require_editable, unscoped
from recipevault.recipes import documents, search
from recipevault.recipes.image_jobs import image_prefix, remove_later
from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.models import (
    Category,
    Recipe,
    RecipeDocument,
    RecipeImage,
    RecipeIngredient,
    RecipeRevision,
    RecipeStep,
    Tag,
    Tool,
)
from recipevault.recipes.schemas import (
    IngredientIn,
    PersonRef,
    RecipeCreate,
    RecipeUpdate,
    StepIn,
)
from recipevault.recipes.vocabulary import Vocabulary, term_key, unit_key

TRASH_DAYS = 30
# Addresses of website pages under /recipes/ that a recipe's slug must never shadow.
RESERVED_SLUGS = frozenset({"new", "trash"})
NO_TIME = 10**9  # sorts recipes without a time after every real one
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
    statement = unscoped(select(Recipe).where(Recipe.id == recipe_id)).options(
        *documents.full_recipe_options()
    )
    statement = statement.where(
        Recipe.deleted_at.is_not(None) if trashed else Recipe.deleted_at.is_(None)
    )
    return (await session.scalars(statement)).first()


async def editable_recipe(
    session: AsyncSession, *, actor: Actor, recipe_id: int, trashed: bool = False
) -> Recipe:
    return require_editable(actor, await _load(session, recipe_id, trashed=trashed), RecipeNotFound)


async def current_etag(session: AsyncSession, recipe_id: int) -> str:
    stored = await documents.fetch_document(session, recipe_id=recipe_id)
    if stored is None:
        raise RecipeNotFound()
    return stored.etag


async def _check_if_match(session: AsyncSession, recipe: Recipe, if_match: str | None) -> None:
    if if_match is None:
        return
    etag = await current_etag(session, recipe.id)
    if if_match.strip() != "*" and etag not in [tag.strip() for tag in if_match.split(",")]:
        raise EditConflict(
            f"Version {recipe.version} is current; reload it and apply your change again.",
            extra={"current_version": recipe.version, "etag": etag},
        )


# --- Building rows from input --------------------------------------------------------------


def _compose_text(item: IngredientIn) -> str:
    parts = [str(item.quantity.normalize()) if item.quantity is not None else "", item.unit or ""]
    parts.append(item.food or "")
    text = " ".join(part for part in parts if part)
    return f"{text}, {item.note}" if item.note else text


def _effective(item: IngredientIn) -> dict[str, Any]:
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
    lines = lines if lines is not None else [_effective(item) for item in items]
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


SLUG_WINDOW = 20


async def _unique_slug(
    session: AsyncSession, title: str, *, also_taken: set[str] | None = None
) -> str:
    base = slugify(title, max_length=200, word_boundary=True) or "recipe"
    return await _free_slug(session, base, RESERVED_SLUGS | (also_taken or set()))


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
    roles = await memberships(session, owner_id)
    member_of = {household for household, _ in roles}
    if household_id is None:
        return await personal_household_id(session, owner_id)
    if household_id not in member_of and not actor.is_admin:
        raise ValidationFailed(
            "You can only put recipes in households you belong to.",
            extra=field_errors("household_id", "Not one of your households"),
        )
    return household_id


def _apply_sort_keys(recipe: Recipe) -> None:
    if recipe.total_minutes is None and (recipe.prep_minutes or recipe.cook_minutes):
        recipe.total_minutes = (recipe.prep_minutes or 0) + (recipe.cook_minutes or 0)
    recipe.sort_title = recipe.title.casefold()[:200]
    recipe.sort_total_minutes = NO_TIME if recipe.total_minutes is None else recipe.total_minutes
    recipe.sort_rating = recipe.rating or 0
    recipe.food_count = len({line.food.id for line in recipe.ingredients if line.food is not None})


_SCALARS = (
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


async def _apply(
    recipe: Recipe,
    vocabulary: Vocabulary,
    values: dict[str, Any],
    lines: list[dict[str, Any]] | None = None,
) -> None:
    for name in _SCALARS:
        if name in values:
            setattr(recipe, name, values[name])
    if "nutrition" in values:
        nutrition = values["nutrition"]
        recipe.nutrition = (
            {k: v for k, v in nutrition.items() if v is not None} if nutrition else None
        )
    recipe.household_id = vocabulary.household_id
    if "tags" in values:
        recipe.tags = await vocabulary.terms(Tag, values["tags"])
    if "categories" in values:
        recipe.categories = await vocabulary.terms(Category, values["categories"])
    if "tools" in values:
        recipe.tools = await vocabulary.terms(Tool, values["tools"])
    if "ingredients" in values:
        recipe.ingredients = await _ingredients(vocabulary, values["ingredients"], lines)
    if "steps" in values:
        recipe.steps = _steps(values["steps"])
    _apply_sort_keys(recipe)


def _values(data: RecipeCreate | RecipeUpdate, *, partial: bool) -> dict[str, Any]:
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


# --- Use cases -------------------------------------------------------------------------------


def _new_recipe(actor: Actor, data: RecipeCreate, slug: str, now: datetime) -> Recipe:
    return Recipe(
        owner_id=actor.user_id,
        slug=slug,
        title=data.title,
        visibility=data.visibility,
        created_at=now,
        updated_at=now,
        version=1,
        tags=[],
        categories=[],
        tools=[],
        ingredients=[],
        steps=[],
    )


async def create_recipe(
    session: AsyncSession, *, actor: Actor, data: RecipeCreate, ip: str | None = None
) -> Recipe:
    household_id = await _household_for(session, actor, data.household_id, owner_id=actor.user_id)
    recipe = _new_recipe(actor, data, await _unique_slug(session, data.title), utcnow())
    await _apply(recipe, Vocabulary(session, household_id), _values(data, partial=False))
    session.add(recipe)
    await session.flush()
    await documents.rebuild_documents(session, [recipe.id])
    return recipe


async def create_recipes(
    session: AsyncSession, *, actor: Actor, household_id: int, recipes: Sequence[RecipeCreate]
) -> list[int]:
    """Create many recipes in one household with a handful of queries per batch (imports,
    demo data). The caller has checked that ``actor`` may write to ``household_id``."""
    vocabulary = Vocabulary(session, household_id)
    slugs = await _unique_slugs(session, [data.title for data in recipes])
    lines = [[_effective(item) for item in data.ingredients] for data in recipes]
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
    created = []
    children: list[tuple[list[RecipeIngredient], list[RecipeStep]]] = []
    for data, slug, recipe_lines in zip(recipes, slugs, lines, strict=True):
        recipe = _new_recipe(actor, data, slug, now)
        await _apply(recipe, vocabulary, _values(data, partial=False), recipe_lines)
        # Lines and steps go in below, one executemany per table: the unit of work would insert
        # them a row at a time on SQLite, which cannot return generated keys in order for a
        # multi-row INSERT (thousands of round trips per batch).
        children.append((recipe.ingredients, recipe.steps))
        recipe.ingredients, recipe.steps = [], []
        created.append(recipe)
    session.add_all(created)
    await session.flush()
    ingredient_rows, step_rows = [], []
    for recipe, (recipe_ingredients, recipe_steps) in zip(created, children, strict=True):
        ingredient_rows += [_ingredient_row(recipe.id, line) for line in recipe_ingredients]
        step_rows += [_step_row(recipe.id, step) for step in recipe_steps]
    # render_nulls: rows are grouped into one statement by their set of non-null values
    # otherwise, which for ingredient lines is nearly one group per row.
    for model, rows in ((RecipeIngredient, ingredient_rows), (RecipeStep, step_rows)):
        if rows:
            await session.execute(insert(model).execution_options(render_nulls=True), rows)
    ids = [recipe.id for recipe in created]
    await documents.rebuild_documents(session, ids)
    return ids


def _ingredient_row(recipe_id: int, line: RecipeIngredient) -> dict[str, Any]:
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


def _step_row(recipe_id: int, step: RecipeStep) -> dict[str, Any]:
    return {
        "recipe_id": recipe_id,
        "position": step.position,
        "section": step.section,
        "text": step.text,
        "timer_minutes": step.timer_minutes,
    }


async def _unique_slugs(session: AsyncSession, titles: Sequence[str]) -> list[str]:
    bases = [slugify(title, max_length=200, word_boundary=True) or "recipe" for title in titles]
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
    recipe = await editable_recipe(session, actor=actor, recipe_id=recipe_id)
    await _check_if_match(session, recipe, if_match)
    before = await document_of(session, recipe.id)
    household_id = recipe.household_id
    if data.household_id is not None:
        household_id = await _household_for(
            session, actor, data.household_id, owner_id=recipe.owner_id
        )
    assert household_id is not None
    values = _values(data, partial=partial)
    if household_id != recipe.household_id:
        # Terms belong to a household: moving the recipe re-files everything it names.
        kept = input_from_snapshot(before)
        for name in ("tags", "categories", "tools", "ingredients"):
            values.setdefault(name, getattr(kept, name))
    await _apply(recipe, Vocabulary(session, household_id), values)
    return await _commit_edit(session, actor=actor, recipe=recipe, before=before)


async def document_of(session: AsyncSession, recipe_id: int) -> dict[str, Any]:
    stored = await session.scalar(
        select(RecipeDocument.document).where(RecipeDocument.recipe_id == recipe_id)
    )
    assert stored is not None, "every recipe has a document"
    return dict(orjson.loads(stored))


async def _commit_edit(
    session: AsyncSession, *, actor: Actor, recipe: Recipe, before: dict[str, Any]
) -> Recipe:
    await session.flush()
    after = documents.recipe_fields(recipe)
    after = orjson.loads(orjson.dumps(after))
    changed = sorted(
        key for key in after if key not in _BOOKKEEPING and after.get(key) != before.get(key)
    )
    if not changed:
        return recipe  # nothing a reader could see changed: no new version
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
    await session.flush()
    await documents.rebuild_documents(session, [recipe.id])
    return recipe


async def trash_recipe(
    session: AsyncSession, *, actor: Actor, recipe_id: int, if_match: str | None, ip: str | None
) -> None:
    recipe = await editable_recipe(session, actor=actor, recipe_id=recipe_id)
    await _check_if_match(session, recipe, if_match)
    recipe.deleted_at = utcnow()
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


async def list_revisions(
    session: AsyncSession, *, actor: Actor, recipe_id: int
) -> list[RecipeRevision]:
    await editable_recipe(session, actor=actor, recipe_id=recipe_id)
    result = await session.scalars(
        select(RecipeRevision)
        .where(RecipeRevision.recipe_id == recipe_id)
        .order_by(RecipeRevision.number.desc())
    )
    return list(result.all())


async def get_revision(
    session: AsyncSession, *, actor: Actor, recipe_id: int, number: int
) -> RecipeRevision:
    await editable_recipe(session, actor=actor, recipe_id=recipe_id)
    revision = await session.scalar(
        select(RecipeRevision).where(
            RecipeRevision.recipe_id == recipe_id, RecipeRevision.number == number
        )
    )
    if revision is None:
        raise RevisionNotFound()
    return revision


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
        for key in (*_SCALARS, "nutrition", "tags", "categories", "tools")
        if key in snapshot
    }
    if fields.get("servings") is not None:
        fields["servings"] = Decimal(str(fields["servings"]))
    return RecipeCreate.model_validate(
        {**fields, "ingredients": ingredients, "steps": snapshot["steps"]}
    )


async def restore_revision(
    session: AsyncSession, *, actor: Actor, recipe_id: int, number: int
) -> Recipe:
    """Bring back an old version as a new one: history is only ever added to."""
    revision = await get_revision(session, actor=actor, recipe_id=recipe_id, number=number)
    data = input_from_snapshot(revision.snapshot)
    recipe = await editable_recipe(session, actor=actor, recipe_id=recipe_id)
    before = await document_of(session, recipe.id)
    assert recipe.household_id is not None
    vocabulary = Vocabulary(session, recipe.household_id)
    await _apply(recipe, vocabulary, _values(data, partial=False))
    return await _commit_edit(session, actor=actor, recipe=recipe, before=before)


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
