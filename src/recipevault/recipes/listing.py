"""Listing, searching and "cook with what I have", straight from the tables and the stored
summaries: one query per page, keyset pagination on (sort key, id), never an offset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import SqliteReader
from recipevault.pagination import InvalidCursor, decode_cursor, encode_cursor
from recipevault.policy import Viewer, Visibility, visible_to
from recipevault.recipes import search
from recipevault.recipes.documents import documents, read_rows, recipes, splice, users
from recipevault.recipes.models import (
    Category,
    FoodName,
    RecipeIngredient,
    Tag,
    Tool,
    recipe_categories,
    recipe_tags,
    recipe_tools,
)
from recipevault.recipes.vocabulary import singular, term_key

Sort = Literal["relevance", "title", "created", "updated", "total_time", "rating"]
_ASCENDING: dict[str, bool] = {
    "relevance": True,
    "title": True,
    "created": False,
    "updated": False,
    "total_time": True,
    "rating": False,
}
_SORT_COLUMNS: dict[str, Any] = {
    "title": recipes.c.sort_title,
    "created": recipes.c.created_at,
    "updated": recipes.c.updated_at,
    "total_time": recipes.c.sort_total_minutes,
    "rating": recipes.c.sort_rating,
}
ingredients = RecipeIngredient.__table__
food_names = FoodName.__table__


@dataclass(frozen=True)
class RecipeFilters:
    q: str | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    categories: Sequence[str] = field(default_factory=tuple)
    tools: Sequence[str] = field(default_factory=tuple)
    foods: Sequence[str] = field(default_factory=tuple)
    exclude_foods: Sequence[str] = field(default_factory=tuple)
    max_total_minutes: int | None = None
    min_rating: int | None = None
    owner: int | None = None
    household: int | None = None
    visibility: Visibility | None = None


def _has_term(link: sa.Table, column: str, vocabulary: Any, name: str) -> Any:
    terms = vocabulary.__table__
    return sa.exists(
        sa.select(1)
        .select_from(link.join(terms, terms.c.id == link.c[column]))
        .where(link.c.recipe_id == recipes.c.id, terms.c.key == term_key(name))
    )


def _food_spellings(name: str) -> list[str]:
    key = term_key(name)
    return sorted({key, singular(key)})


def _has_food(name: str) -> Any:
    return sa.exists(
        sa.select(1)
        .select_from(ingredients.join(food_names, food_names.c.food_id == ingredients.c.food_id))
        .where(ingredients.c.recipe_id == recipes.c.id, food_names.c.key.in_(_food_spellings(name)))
    )


def _conditions(viewer: Viewer, filters: RecipeFilters) -> list[Any]:
    conditions: list[Any] = [recipes.c.deleted_at.is_(None)]
    if viewer is None or not viewer.is_admin:
        conditions.append(visible_to(viewer, recipes.c))
    conditions += [_has_term(recipe_tags, "tag_id", Tag, name) for name in filters.tags]
    conditions += [
        _has_term(recipe_categories, "category_id", Category, name) for name in filters.categories
    ]
    conditions += [_has_term(recipe_tools, "tool_id", Tool, name) for name in filters.tools]
    conditions += [_has_food(name) for name in filters.foods]
    conditions += [~_has_food(name) for name in filters.exclude_foods]
    if filters.max_total_minutes is not None:
        conditions.append(recipes.c.total_minutes <= filters.max_total_minutes)
    if filters.min_rating is not None:
        conditions.append(recipes.c.rating >= filters.min_rating)
    if filters.owner is not None:
        conditions.append(recipes.c.owner_id == filters.owner)
    if filters.household is not None:
        conditions.append(recipes.c.household_id == filters.household)
    if filters.visibility is not None:
        conditions.append(recipes.c.visibility == filters.visibility.value)
    return conditions


def _owner_prefix(owner_id: int, owner_name: str, **extra: Any) -> bytes:
    return orjson.dumps({"owner": {"id": owner_id, "display_name": owner_name}, **extra})


def page_body(items: Sequence[bytes], next_cursor: str | None) -> bytes:
    return b'{"items":[' + b",".join(items) + b'],"next":' + orjson.dumps(next_cursor) + b"}"


def _cursor_value(sort: str, value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode(cursor: str, sort: str, column: Any) -> tuple[Any, int]:
    values = decode_cursor(cursor, keys=("s", "v", "id"))
    if values["s"] != sort or not isinstance(values["id"], int):
        raise InvalidCursor()
    value = values["v"]
    try:
        if sort in ("created", "updated"):
            value = datetime.fromisoformat(value)
        elif sort == "title":
            value = str(value)
        elif sort == "relevance":
            value = float(value)
        else:
            value = int(value)
    except (TypeError, ValueError):
        raise InvalidCursor() from None
    return value, values["id"]


async def list_recipes(
    session: AsyncSession,
    *,
    viewer: Viewer,
    filters: RecipeFilters,
    sort: Sort | None,
    limit: int,
    cursor: str | None,
    reader: SqliteReader | None = None,
) -> bytes:
    """A page of summaries as JSON bytes: {"items": [...], "next": cursor-or-null}."""
    dialect = session.get_bind().dialect.name
    matches = search.matches(dialect, filters.q) if filters.q else None
    if sort is None:
        sort = "relevance" if matches is not None else "created"
    if sort == "relevance" and matches is None:
        sort = "created"
    key = matches.c.rank if sort == "relevance" and matches is not None else _SORT_COLUMNS[sort]
    ascending = _ASCENDING[sort]

    source = recipes.join(documents, documents.c.recipe_id == recipes.c.id).join(
        users, users.c.id == recipes.c.owner_id
    )
    if matches is not None:
        source = source.join(matches, matches.c.recipe_id == recipes.c.id)
    statement = (
        sa.select(recipes.c.id, key, documents.c.summary, recipes.c.owner_id, users.c.display_name)
        .select_from(source)
        .where(*_conditions(viewer, filters))
        .order_by(
            key.asc() if ascending else key.desc(),
            recipes.c.id.asc() if ascending else recipes.c.id.desc(),
        )
        .limit(limit + 1)
    )
    if cursor:
        value, last_id = _decode(cursor, sort, key)
        bound = sa.tuple_(sa.literal(value, key.type), sa.literal(last_id))
        row_key = sa.tuple_(key, recipes.c.id)
        statement = statement.where(row_key > bound if ascending else row_key < bound)

    heavy = matches is not None or bool(filters.foods or filters.exclude_foods)
    rows = await read_rows(session, statement, reader=reader, heavy=heavy)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        splice(_owner_prefix(owner_id, name), summary) for _, _, summary, owner_id, name in rows
    ]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor({"s": sort, "v": _cursor_value(sort, last[1]), "id": last[0]})
    return page_body(items, next_cursor)


async def cook_with(
    session: AsyncSession,
    *,
    viewer: Viewer,
    foods: Sequence[str],
    limit: int,
    reader: SqliteReader | None = None,
) -> bytes:
    """Recipes ranked by the share of their ingredient foods among ``foods``."""
    spellings = sorted({spelling for name in foods for spelling in _food_spellings(name)})
    have = (
        sa.select(
            ingredients.c.recipe_id,
            sa.func.count(sa.distinct(ingredients.c.food_id)).label("have"),
        )
        .select_from(ingredients.join(food_names, food_names.c.food_id == ingredients.c.food_id))
        .where(food_names.c.key.in_(spellings))
        .group_by(ingredients.c.recipe_id)
        .subquery("have")
    )
    coverage = (sa.cast(have.c.have, sa.Float) / recipes.c.food_count).label("coverage")
    statement = (
        sa.select(
            recipes.c.id,
            have.c.have,
            recipes.c.food_count,
            coverage,
            documents.c.summary,
            recipes.c.owner_id,
            users.c.display_name,
        )
        .select_from(
            recipes.join(have, have.c.recipe_id == recipes.c.id)
            .join(documents, documents.c.recipe_id == recipes.c.id)
            .join(users, users.c.id == recipes.c.owner_id)
        )
        .where(recipes.c.food_count > 0, *_conditions(viewer, RecipeFilters()))
        .order_by(coverage.desc(), have.c.have.desc(), recipes.c.id.asc())
        .limit(limit)
    )
    rows = await read_rows(session, statement, reader=reader, heavy=True)
    items = [
        splice(
            _owner_prefix(owner_id, name, have=count, need=need, coverage=round(share, 4)),
            summary,
        )
        for _, count, need, share, summary, owner_id, name in rows
    ]
    return page_body(items, None)
