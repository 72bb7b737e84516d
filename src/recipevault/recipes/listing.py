"""Listing, searching and "cook with what I have", straight from the tables and the stored
summaries: one query per page, keyset pagination on (sort key, id), never an offset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from pydantic import TypeAdapter

from recipevault.db import Database
from recipevault.pagination import InvalidCursor, decode_cursor, encode_cursor
from recipevault.policy import Viewer, Visibility
from recipevault.recipes import on_hand, search
from recipevault.recipes.documents import (
    SUMMARIES,
    documents,
    read_rows,
    reading_rows,
    recipes,
    splice,
    users,
)
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
from recipevault.recipes.recipe_input import NO_TIME
from recipevault.recipes.schemas import RecipeListQuery, Sort
from recipevault.recipes.vocabulary import singular, term_key
from recipevault.schemas import Instant

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
# What the integer sort keys can hold (see recipe_input): a cursor past them was not made here,
# and its value could be too large for the column.
_INTEGER_KEYS: dict[str, range] = {"total_time": range(NO_TIME + 1), "rating": range(6)}
_INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)
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

    @classmethod
    def from_query(cls, query: RecipeListQuery) -> RecipeFilters:
        return cls(
            q=query.q,
            tags=query.tag,
            categories=query.category,
            tools=query.tool,
            foods=query.food,
            exclude_foods=query.exclude_food,
            max_total_minutes=query.max_total_minutes,
            min_rating=query.min_rating,
            owner=query.owner,
            household=query.household,
            visibility=query.visibility,
        )


def _has_term(link: sa.Table, column: str, vocabulary: Any, param: str) -> Any:
    terms = vocabulary.__table__
    return sa.exists(
        sa.select(1)
        .select_from(link.join(terms, terms.c.id == link.c[column]))
        .where(link.c.recipe_id == recipes.c.id, terms.c.key == sa.bindparam(param))
    )


def _food_spellings(name: str) -> list[str]:
    key = term_key(name)
    return sorted({key, singular(key)})


def _has_food(param: str) -> Any:
    return sa.exists(
        sa.select(1)
        .select_from(ingredients.join(food_names, food_names.c.food_id == ingredients.c.food_id))
        .where(
            ingredients.c.recipe_id == recipes.c.id,
            food_names.c.key.in_(sa.bindparam(param, expanding=True)),
        )
    )


ViewerKind = Literal["visitor", "member", "admin"]


@dataclass(frozen=True)
class _Shape:
    """What a list query looks like, without its values: statements are built once per
    shape and reused with new parameters (building one costs more than running it)."""

    viewer: ViewerKind
    tags: int = 0
    categories: int = 0
    tools: int = 0
    foods: int = 0
    exclude_foods: int = 0
    max_total_minutes: bool = False
    min_rating: bool = False
    owner: bool = False
    household: bool = False
    visibility: bool = False


def _viewer_kind(viewer: Viewer) -> ViewerKind:
    if viewer is None:
        return "visitor"
    return "admin" if viewer.is_admin else "member"


def _shape(viewer: Viewer, filters: RecipeFilters) -> _Shape:
    return _Shape(
        viewer=_viewer_kind(viewer),
        tags=len(filters.tags),
        categories=len(filters.categories),
        tools=len(filters.tools),
        foods=len(filters.foods),
        exclude_foods=len(filters.exclude_foods),
        max_total_minutes=filters.max_total_minutes is not None,
        min_rating=filters.min_rating is not None,
        owner=filters.owner is not None,
        household=filters.household is not None,
        visibility=filters.visibility is not None,
    )


def _visible(kind: ViewerKind) -> list[Any]:
    if kind == "admin":
        return []
    if kind == "visitor":
        return [recipes.c.visibility == Visibility.PUBLIC.value]
    return [
        sa.or_(
            recipes.c.visibility == Visibility.PUBLIC.value,
            recipes.c.owner_id == sa.bindparam("viewer_id"),
            sa.and_(
                recipes.c.visibility == Visibility.HOUSEHOLD.value,
                recipes.c.household_id.in_(sa.bindparam("viewer_households", expanding=True)),
            ),
        )
    ]


def _conditions(shape: _Shape) -> list[Any]:
    conditions: list[Any] = [recipes.c.deleted_at.is_(None), *_visible(shape.viewer)]
    conditions += [_has_term(recipe_tags, "tag_id", Tag, f"tag_{i}") for i in range(shape.tags)]
    conditions += [
        _has_term(recipe_categories, "category_id", Category, f"category_{i}")
        for i in range(shape.categories)
    ]
    conditions += [
        _has_term(recipe_tools, "tool_id", Tool, f"tool_{i}") for i in range(shape.tools)
    ]
    conditions += [_has_food(f"food_{i}") for i in range(shape.foods)]
    conditions += [~_has_food(f"exclude_food_{i}") for i in range(shape.exclude_foods)]
    if shape.max_total_minutes:
        conditions.append(recipes.c.total_minutes <= sa.bindparam("max_total_minutes"))
    if shape.min_rating:
        conditions.append(recipes.c.rating >= sa.bindparam("min_rating"))
    if shape.owner:
        conditions.append(recipes.c.owner_id == sa.bindparam("owner"))
    if shape.household:
        conditions.append(recipes.c.household_id == sa.bindparam("household"))
    if shape.visibility:
        conditions.append(recipes.c.visibility == sa.bindparam("visibility"))
    return conditions


def _parameters(viewer: Viewer, filters: RecipeFilters) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if viewer is not None and not viewer.is_admin:
        values["viewer_id"] = viewer.user_id
        values["viewer_households"] = sorted(viewer.household_ids) or [-1]
    for prefix, names in (
        ("tag", filters.tags),
        ("category", filters.categories),
        ("tool", filters.tools),
    ):
        values |= {f"{prefix}_{i}": term_key(name) for i, name in enumerate(names)}
    values |= {f"food_{i}": _food_spellings(name) for i, name in enumerate(filters.foods)}
    values |= {
        f"exclude_food_{i}": _food_spellings(name) for i, name in enumerate(filters.exclude_foods)
    }
    for name in ("max_total_minutes", "min_rating", "owner", "household"):
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    if filters.visibility is not None:
        values["visibility"] = filters.visibility.value
    return values


def _owner_prefix(owner_id: int, owner_name: str, **extra: Any) -> bytes:
    return orjson.dumps({"owner": {"id": owner_id, "display_name": owner_name}, **extra})


def _spliced(rows: Iterable[tuple[bytes, int, str]]) -> list[bytes]:
    # A page usually has few owners: serialize each one's prefix once.
    prefixes: dict[tuple[int, str], bytes] = {}
    items = []
    for summary, owner, name in rows:
        prefix = prefixes.get((owner, name))
        if prefix is None:
            prefix = prefixes[(owner, name)] = _owner_prefix(owner, name)
        items.append(splice(prefix, summary))
    return items


def page_body(items: Sequence[bytes], next_cursor: str | None) -> bytes:
    return b'{"items":[' + b",".join(items) + b'],"next":' + orjson.dumps(next_cursor) + b"}"


def _cursor_value(value: Any, sort: str) -> Any:
    # The sort key is selected untyped (only the last row's is ever used), so a time arrives as
    # SQLite's naive text or the driver's datetime; the cursor always holds aware ISO 8601.
    if sort in ("created", "updated"):
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return value


def _decode(cursor: str, sort: str) -> tuple[Any, int]:
    values = decode_cursor(cursor, keys=("s", "v", "id"))
    if values["s"] != sort:
        raise InvalidCursor()
    value = values["v"]
    try:
        if sort in ("created", "updated"):
            value = _INSTANT.validate_python(value)
        elif sort == "title":
            value = str(value)
        elif sort == "relevance":
            value = float(value)
        else:
            value = int(value)
            if value not in _INTEGER_KEYS[sort]:
                raise InvalidCursor()
    except (TypeError, ValueError, OverflowError):  # ValidationError is a ValueError
        raise InvalidCursor() from None
    return value, values["id"]


def _visible_to(shape: _Shape) -> search.Visible:
    def visible(recipe_id: Any) -> Any:
        return sa.exists().where(recipes.c.id == recipe_id, *_conditions(shape))

    return visible


@lru_cache(maxsize=512)
def _list_statement(shape: _Shape, sort: str, search_dialect: str | None, keyset: bool) -> Any:
    """The page's ids and sort keys are chosen first, from the recipes table (and the search
    matches) alone; only then are the page's summaries and owners joined in. Joined before the
    sort, every match's summary would be read and carried through it: a search for a common
    word would read thousands of summaries to return twenty."""
    matches = None
    if search_dialect is not None:
        matches = (
            search.ranked(search_dialect, _visible_to(shape))
            if sort == "relevance"
            else search.matching(search_dialect, _visible_to(shape))
        )
    key = matches.c.rank if sort == "relevance" and matches is not None else _SORT_COLUMNS[sort]
    ascending = _ASCENDING[sort]
    source: Any = recipes
    if matches is not None:
        source = recipes.join(matches, matches.c.recipe_id == recipes.c.id)
    chosen = (
        sa.select(recipes.c.id.label("id"), key.label("sort_key"))
        .select_from(source)
        .where(*_conditions(shape))
        .order_by(
            key.asc() if ascending else key.desc(),
            recipes.c.id.asc() if ascending else recipes.c.id.desc(),
        )
        .limit(sa.bindparam("page_size"))
    )
    if keyset:
        bound = sa.tuple_(sa.bindparam("after_key", type_=key.type), sa.bindparam("after_id"))
        row_key = sa.tuple_(key, recipes.c.id)
        chosen = chosen.where(row_key > bound if ascending else row_key < bound)
    page = chosen.subquery("page")
    return (
        sa.select(
            page.c.id,
            # Untyped: only the last row's key is used, for the cursor (see _cursor_value).
            sa.type_coerce(page.c.sort_key, sa.types.NullType()),
            documents.c.summary,
            recipes.c.owner_id,
            users.c.display_name,
        )
        .select_from(
            page.join(recipes, recipes.c.id == page.c.id)
            .join(documents, documents.c.recipe_id == page.c.id)
            .join(users, users.c.id == recipes.c.owner_id)
        )
        .order_by(
            page.c.sort_key.asc() if ascending else page.c.sort_key.desc(),
            page.c.id.asc() if ascending else page.c.id.desc(),
        )
    )


async def list_recipes(
    database: Database,
    *,
    viewer: Viewer,
    filters: RecipeFilters,
    sort: Sort | None,
    limit: int,
    cursor: str | None,
) -> bytes:
    """A page of summaries as JSON bytes: {"items": [...], "next": cursor-or-null}."""
    dialect = database.dialect_name
    searching = search.match_parameters(dialect, filters.q) if filters.q else None
    if sort is None or (sort == "relevance" and searching is None):
        sort = "relevance" if searching is not None else "created"
    parameters = _parameters(viewer, filters) | (searching or {}) | {"page_size": limit + 1}
    if cursor:
        parameters["after_key"], parameters["after_id"] = _decode(cursor, sort)
    statement = _list_statement(
        _shape(viewer, filters), sort, dialect if searching else None, bool(cursor)
    )
    heavy = searching is not None or bool(filters.foods or filters.exclude_foods)
    # A search's plan is built not to depend on the words (see ``search``), and takes
    # milliseconds to make.
    rows = await read_rows(
        database, statement, parameters, heavy=heavy, plan_once=searching is not None
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = _spliced((summary, owner, name) for _, _, summary, owner, name in rows)
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor({"s": sort, "v": _cursor_value(last[1], sort), "id": last[0]})
    return page_body(items, next_cursor)


@lru_cache(maxsize=8)
def _cook_with_level(viewer: ViewerKind) -> Any:
    return on_hand.level_statement(_conditions(_Shape(viewer=viewer)))


async def cook_with(
    database: Database, *, viewer: Viewer, foods: Sequence[str], limit: int
) -> bytes:
    """Recipes ranked by the share of their ingredient foods among ``foods``: a few reads of
    the cook-with index, highest bounds first, until the top can no longer change (see
    ``on_hand``), then one read of the winners' summaries."""
    spellings = sorted({spelling for name in foods for spelling in _food_spellings(name)})
    # Every read of the index keeps one plan (see ``on_hand.level_statement``).
    async with reading_rows(database, plan_once=True) as read:
        on_hand_ids = [row[0] for row in await read(on_hand.FOODS, {"spellings": spellings})]
        if not on_hand_ids:
            return page_body([], None)
        parameters = _parameters(viewer, RecipeFilters()) | {
            "foods": on_hand_ids,
            "on_hand_count": float(len(on_hand_ids)),
            "limit": limit,
        }
        statement = _cook_with_level(_viewer_kind(viewer))
        ranking = on_hand.Ranking(limit)
        high, low = on_hand.FIRST_LEVEL
        while True:
            bounds = {"low": low, "high": high}
            ranking.add(await read(statement, parameters | bounds, heavy=True))
            lower = ranking.next_level(low)
            if lower is None:
                break
            high, low = low, lower
        if not ranking.top:
            return page_body([], None)
        rows = await read(SUMMARIES, {"ids": [m.recipe_id for m in ranking.top]})
    found = {recipe_id: (summary, owner, name) for recipe_id, summary, owner, name in rows}
    items = []
    for match in ranking.top:
        if match.recipe_id not in found:
            continue  # deleted between the two reads
        summary, owner_id, name = found[match.recipe_id]
        extra = {"have": match.have, "need": match.need, "coverage": round(match.coverage, 4)}
        items.append(splice(_owner_prefix(owner_id, name, **extra), summary))
    return page_body(items, None)
