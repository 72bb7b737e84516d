"""The read path: each recipe pre-serialized as JSON, rebuilt inside every write that changes
what a reader sees, and served as bytes by one indexed query per request.

Owner and household names are not stored in the document (a rename would touch every
recipe); the read query joins them in and they are spliced in front of the stored object.
Images appear once their renditions are ready: the recipe lists them primary first, and its
summary names the primary's narrowest rendition. Building a document also gives its images the
tokens the recipe's visibility calls for (``images.addresses.follow_visibility``), so the
addresses it holds are always the ones served.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.service import display_name_of
from recipevault.db import Database, first_row, upsert
from recipevault.households import service as households
from recipevault.policy import Visibility, unscoped
from recipevault.recipes.images.addresses import follow_visibility, image_url
from recipevault.recipes.models import (
    ImageStatus,
    Recipe,
    RecipeDocument,
    RecipeImage,
    RecipeIngredient,
    VocabularyTerm,
)
from recipevault.recipes.recipe_rows import load_parts
from recipevault.recipes.scaled_document import package_of
from recipevault.recipes.scaling import format_amount
from recipevault.recipes.search import index as search
from recipevault.recipes.units import unit_for

SUMMARY_DESCRIPTION_CHARS = 300


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def ingredient_display(
    quantity: Decimal | None, quantity_max: Decimal | None, unit: str | None, size: str | None
) -> str:
    """The amount as written, read back: "1½ cups", "2 (14 oz) cans" (``size`` a package's)."""
    if quantity is None:
        return ""
    known = unit_for(unit) if unit else None
    system = known.system if known and known.system != "neutral" else "metric"
    return format_amount(quantity, quantity_max, unit, system, size=size)


def _ingredient(line: RecipeIngredient) -> dict[str, Any]:
    unit_key = line.unit.key if line.unit else None
    package_text, package = package_of({"size": line.size}, None)
    return {
        "text": line.text,
        "section": line.section,
        "quantity": _number(line.quantity),
        "quantity_max": _number(line.quantity_max),
        "unit": unit_key,
        "food": line.food.name if line.food else None,
        "size": line.size,
        "package": package,
        "note": line.note,
        "optional": line.optional,
        "display": ingredient_display(line.quantity, line.quantity_max, unit_key, package_text),
    }


def image_urls(image: RecipeImage) -> dict[str, str]:
    """Each rendition's address by its width (JSON object keys are text), narrowest first."""
    return {
        str(variant["width"]): image_url(image.token, variant["width"])
        for variant in image.variants
    }


def _image(image: RecipeImage) -> dict[str, Any]:
    widest = image.variants[-1]
    return {
        "id": image.id,
        "width": widest["width"],
        "height": widest["height"],
        "urls": image_urls(image),
    }


def _ready_images(recipe: Recipe) -> list[RecipeImage]:
    return [
        image for image in recipe.images if image.status == ImageStatus.READY and image.variants
    ]


def _names(terms: Sequence[VocabularyTerm]) -> list[str]:
    # In the order the terms were made: a recipe's terms have no order of their own.
    return [term.name for term in sorted(terms, key=attrgetter("id"))]


def recipe_fields(recipe: Recipe, kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a reader sees of the recipe except its owner's and household's names. Its
    collections must be loaded (``recipe_rows``), or, with ``kept`` (the fields of its stored
    document), those that are not loaded are taken as that document has them: an edit that
    leaves a collection as it is need not read its rows to write the same thing again."""
    unloaded = inspect(recipe).unloaded if kept is not None else frozenset()

    def part(name: str, build: Callable[[], list[Any]]) -> list[Any]:
        return list((kept or {})[name]) if name in unloaded else build()

    return {
        "id": recipe.id,
        "slug": recipe.slug,
        "title": recipe.title,
        "description": recipe.description,
        "servings": _number(recipe.servings),
        "yield_text": recipe.yield_text,
        "prep_minutes": recipe.prep_minutes,
        "cook_minutes": recipe.cook_minutes,
        "total_minutes": recipe.total_minutes,
        "total_minutes_given": recipe.total_minutes_given,
        "notes": recipe.notes,
        "nutrition": recipe.nutrition,
        "source_url": recipe.source_url,
        "attribution": recipe.attribution,
        "rating": recipe.rating,
        "visibility": recipe.visibility.value,
        "version": recipe.version,
        "tags": part("tags", lambda: _names(recipe.tags)),
        "categories": part("categories", lambda: _names(recipe.categories)),
        "tools": part("tools", lambda: _names(recipe.tools)),
        "ingredients": part("ingredients", lambda: [_ingredient(ln) for ln in recipe.ingredients]),
        "steps": part(
            "steps",
            lambda: [
                {"text": s.text, "section": s.section, "timer_minutes": s.timer_minutes}
                for s in recipe.steps
            ],
        ),
        "images": part("images", lambda: [_image(image) for image in _ready_images(recipe)]),
        "units": "original",
        "created_at": recipe.created_at,
        "updated_at": recipe.updated_at,
    }


def summary_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A recipe's summary in lists, from its fields (``recipe_fields``); its image is the
    narrowest rendition of its primary image."""
    description = fields["description"]
    if description and len(description) > SUMMARY_DESCRIPTION_CHARS:
        description = description[: SUMMARY_DESCRIPTION_CHARS - 1].rstrip() + "…"
    images = fields["images"]
    return {
        "id": fields["id"],
        "slug": fields["slug"],
        "title": fields["title"],
        "description": description,
        "servings": fields["servings"],
        "total_minutes": fields["total_minutes"],
        "rating": fields["rating"],
        "visibility": fields["visibility"],
        "tags": fields["tags"],
        "categories": fields["categories"],
        # Renditions are listed narrowest first.
        "image": next(iter(images[0]["urls"].values()), None) if images else None,
        "created_at": fields["created_at"],
        "updated_at": fields["updated_at"],
    }


async def rebuild_documents(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    """Re-serialize these recipes from the tables, in batches, within the caller's transaction,
    and index those not in the trash for search."""
    ids = sorted(set(recipe_ids))
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        await session.flush()
        recipes = (
            await session.scalars(
                unscoped(select(Recipe).where(Recipe.id.in_(batch))).execution_options(
                    populate_existing=True
                )
            )
        ).all()
        await load_parts(session, recipes)
        await write_documents(session, recipes)
        await search.index_recipes(session, [r for r in recipes if r.deleted_at is None])


async def write_documents(
    session: AsyncSession,
    recipes: Sequence[Recipe],
    *,
    built: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """Store the documents of these recipes, whose collections are loaded, as they are in
    memory; their images get the tokens their visibility calls for first. ``built``: a
    recipe's fields (``recipe_fields``) made already, by a caller that gave its images their
    tokens before."""
    rows = []
    for recipe in recipes:
        fields = (built or {}).get(recipe.id)
        if fields is None:
            follow_visibility(recipe)
            fields = recipe_fields(recipe)
        document = orjson.dumps(fields)
        rows.append(
            {
                "recipe_id": recipe.id,
                "etag": hashlib.blake2b(document, digest_size=12).hexdigest(),
                "document": document,
                "summary": orjson.dumps(summary_fields(fields)),
            }
        )
    await session.flush()  # the images' new tokens, if any
    if rows:
        # Made once, and run with the rows as parameters (a Core statement: not the ORM's bulk
        # insert), so SQLAlchemy compiles it once.
        statement = upsert(
            session,
            RecipeDocument.__table__,
            on=["recipe_id"],
            update=["etag", "document", "summary"],
        )
        await session.execute(statement, rows)


async def drop_documents(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    await session.execute(delete(RecipeDocument).where(RecipeDocument.recipe_id.in_(recipe_ids)))


# --- Reading --------------------------------------------------------------------------------

documents = RecipeDocument.__table__
recipes = Recipe.__table__
# Whose recipe it is and where it is shared, by name: asked of the features that own them.
owner_name = display_name_of(recipes.c.owner_id)
household_name = households.name_of(recipes.c.household_id)


@dataclass(frozen=True, slots=True)
class StoredRecipe:
    """What the read query returns: enough to authorize, and the bytes to send."""

    id: int
    owner_id: int
    household_id: int | None
    visibility: Visibility
    etag: str
    body: bytes
    # The stored document alone, without the owner's and household's names.
    document: bytes

    def fields(self) -> dict[str, Any]:
        """The stored document's fields."""
        return dict(orjson.loads(self.document))


def _prefix(
    owner_id: int, owner_name: str, household_id: int | None, household_name: str | None
) -> bytes:
    household = None if household_id is None else {"id": household_id, "name": household_name}
    return orjson.dumps(
        {"owner": {"id": owner_id, "display_name": owner_name}, "household": household}
    )


def splice(prefix: bytes, document: bytes) -> bytes:
    """``{"owner":..,"household":..}`` + ``{...document}`` as one object."""
    return prefix[:-1] + b"," + document[1:]


READ_COLUMNS = (
    recipes.c.id,
    recipes.c.owner_id,
    recipes.c.household_id,
    recipes.c.visibility,
    documents.c.etag,
    documents.c.document,
    owner_name,
    household_name,
)


def read_statement() -> Any:
    return (
        select(*READ_COLUMNS)
        .select_from(recipes.join(documents, documents.c.recipe_id == recipes.c.id))
        .where(recipes.c.deleted_at.is_(None))
    )


SUMMARIES = (
    select(recipes.c.id, documents.c.summary, recipes.c.owner_id, owner_name)
    .select_from(recipes.join(documents, documents.c.recipe_id == recipes.c.id))
    .where(recipes.c.id.in_(bindparam("ids", expanding=True)))
)
"""(recipe id, summary, owner id, owner name) of the recipes whose ids are ``ids``."""


async def fetch_summaries(session: AsyncSession, recipe_ids: Sequence[int]) -> list[bytes]:
    """Summaries in the order given, trashed recipes included (the caller authorized them)."""
    if not recipe_ids:
        return []
    connection = await session.connection()
    rows = await connection.execute(SUMMARIES, {"ids": list(recipe_ids)})
    by_id = {
        rid: splice(orjson.dumps({"owner": {"id": uid, "display_name": name}}), summary)
        for rid, summary, uid, name in rows
    }
    return [by_id[rid] for rid in recipe_ids if rid in by_id]


READ_ONE = read_statement().where(recipes.c.id == bindparam("recipe_id"))
# A page address names its recipe by slug (unique among all recipes, the trash included): read
# by it, the page is one statement, not the id first and then the document.
READ_BY_SLUG = read_statement().where(recipes.c.slug == bindparam("slug"))


async def stored_recipe(
    source: Database | AsyncSession, recipe_id: int | None = None, *, slug: str | None = None
) -> StoredRecipe | None:
    """The stored recipe with this id, or at this page address (``slug``), not in the trash,
    with its owner's and household's names: the one read of a whole recipe, for every caller,
    who authorizes what it does with it. Read with a session, it is what that session's
    transaction sees (its own writes included); with the database, what is committed, by the
    fastest read there is (``Database.first``). Either way it is one statement."""
    if (recipe_id is None) == (slug is None):
        raise TypeError("stored_recipe takes a recipe's id or its slug, one of the two")
    if slug is not None:
        return _stored(await first_row(source, READ_BY_SLUG, {"slug": slug}))
    return _stored(await first_row(source, READ_ONE, {"recipe_id": recipe_id}))


def _stored(row: Sequence[Any] | None) -> StoredRecipe | None:
    if row is None:
        return None
    rid, owner_id, household_id, visibility, etag, document, owner_name, household_name = row
    prefix = _prefix(owner_id, owner_name, household_id, household_name)
    return StoredRecipe(
        id=rid,
        owner_id=owner_id,
        household_id=household_id,
        visibility=Visibility(visibility),
        # The names are part of what the client sees, so they are part of the version too.
        etag=f'"{etag}-{zlib.crc32(prefix):08x}"',
        body=splice(prefix, document),
        document=document,
    )
