"""Listing, searching and "cook with what I have", straight from the tables and the stored
summaries: one query per page, keyset pagination on (sort key, id), never an offset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import TypeAdapter

from recipevault.db import Database, Reads
from recipevault.http.pagination import InvalidCursor, decode_cursor, encode_cursor
from recipevault.http.schemas import Instant
from recipevault.policy import (
    Viewer,
    ViewerKind,
    Visibility,
    read_parameters,
    read_rule,
    viewer_keys,
    viewer_kind,
)
from recipevault.recipes.documents import (
    SUMMARIES,
    documents,
    owner_name,
    recipes,
    splice,
)
from recipevault.recipes.input_mapping import NO_TIME
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
from recipevault.recipes.schemas import RecipeListQuery, Sort
from recipevault.recipes.search import index as search
from recipevault.recipes.search import on_hand
from recipevault.recipes.vocabulary.resolving import singular, term_key

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
_INTEGER_KEYS: dict[str, range] = {
    "total_time": range(NO_TIME + 1),
    "rating": range(6),
    "relevance": range(search.TIERS),
}
_INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)
ingredients = RecipeIngredient.__table__
food_names = FoodName.__table__


@dataclass(frozen=True)
class RecipeFilters:
    q: str | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    categories: Sequence[str] = field(default_factory=tuple)
    exclude_tags: Sequence[str] = field(default_factory=tuple)
    exclude_categories: Sequence[str] = field(default_factory=tuple)
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


def _has_term(table: Any, link: sa.Table, column: str, vocabulary: Any, param: str) -> Any:
    terms = vocabulary.__table__
    return sa.exists(
        sa.select(1)
        .select_from(link.join(terms, terms.c.id == link.c[column]))
        .where(link.c.recipe_id == table.c.id, terms.c.key == sa.bindparam(param))
    )


def _food_spellings(name: str) -> list[str]:
    key = term_key(name)
    return sorted({key, singular(key)})


def food_spellings(names: Iterable[str]) -> list[str]:
    """Every spelling under which the foods named may be known (``on_hand.FOODS`` finds them)."""
    return sorted({spelling for name in names for spelling in _food_spellings(name)})


def _has_food(table: Any, param: str) -> Any:
    return sa.exists(
        sa.select(1)
        .select_from(ingredients.join(food_names, food_names.c.food_id == ingredients.c.food_id))
        .where(
            ingredients.c.recipe_id == table.c.id,
            food_names.c.key.in_(sa.bindparam(param, expanding=True)),
        )
    )


@dataclass(frozen=True)
class _Shape:
    """What a list query looks like, without its values: statements are built once per
    shape and reused with new parameters (building one costs more than running it)."""

    viewer: ViewerKind
    tags: int = 0
    categories: int = 0
    exclude_tags: int = 0
    exclude_categories: int = 0
    tools: int = 0
    foods: int = 0
    exclude_foods: int = 0
    max_total_minutes: bool = False
    min_rating: bool = False
    owner: bool = False
    household: bool = False
    visibility: bool = False


def _shape(viewer: Viewer, filters: RecipeFilters) -> _Shape:
    return _Shape(
        viewer=viewer_kind(viewer),
        tags=len(filters.tags),
        categories=len(filters.categories),
        exclude_tags=len(filters.exclude_tags),
        exclude_categories=len(filters.exclude_categories),
        tools=len(filters.tools),
        foods=len(filters.foods),
        exclude_foods=len(filters.exclude_foods),
        max_total_minutes=filters.max_total_minutes is not None,
        min_rating=filters.min_rating is not None,
        owner=filters.owner is not None,
        household=filters.household is not None,
        visibility=filters.visibility is not None,
    )


def _conditions(shape: _Shape, table: Any = recipes) -> list[Any]:
    """What a recipe of ``table`` (the recipes table, or an alias of it) must meet to be
    listed: not in the trash, visible to the viewer, and every filter."""
    return [table.c.deleted_at.is_(None), read_rule(shape.viewer, table), *_filters(shape, table)]


def _filters(shape: _Shape, table: Any = recipes) -> list[Any]:
    """What the filters ask of a recipe of ``table``."""
    conditions: list[Any] = [
        _has_term(table, recipe_tags, "tag_id", Tag, f"tag_{i}") for i in range(shape.tags)
    ]
    conditions += [
        _has_term(table, recipe_categories, "category_id", Category, f"category_{i}")
        for i in range(shape.categories)
    ]
    conditions += [
        ~_has_term(table, recipe_tags, "tag_id", Tag, f"exclude_tag_{i}")
        for i in range(shape.exclude_tags)
    ]
    conditions += [
        ~_has_term(table, recipe_categories, "category_id", Category, f"exclude_category_{i}")
        for i in range(shape.exclude_categories)
    ]
    conditions += [
        _has_term(table, recipe_tools, "tool_id", Tool, f"tool_{i}") for i in range(shape.tools)
    ]
    conditions += [_has_food(table, f"food_{i}") for i in range(shape.foods)]
    conditions += [~_has_food(table, f"exclude_food_{i}") for i in range(shape.exclude_foods)]
    if shape.max_total_minutes:
        conditions.append(table.c.total_minutes <= sa.bindparam("max_total_minutes"))
    if shape.min_rating:
        conditions.append(table.c.rating >= sa.bindparam("min_rating"))
    if shape.owner:
        conditions.append(table.c.owner_id == sa.bindparam("owner"))
    if shape.household:
        conditions.append(table.c.household_id == sa.bindparam("household"))
    if shape.visibility:
        conditions.append(table.c.visibility == sa.bindparam("visibility"))
    return conditions


def listed(viewer: Viewer, filters: RecipeFilters) -> tuple[list[Any], dict[str, Any]]:
    """What a recipe of the recipes table must meet to be listed for ``viewer`` under
    ``filters`` (not trashed, readable, every filter), and the parameters those conditions
    read: for another feature's read of recipes that lists what a listing would."""
    return _conditions(_shape(viewer, filters)), _parameters(viewer, filters)


def _parameters(viewer: Viewer, filters: RecipeFilters) -> dict[str, Any]:
    return read_parameters(viewer) | _filter_values(filters)


def _filter_values(filters: RecipeFilters) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for prefix, names in (
        ("tag", filters.tags),
        ("category", filters.categories),
        ("exclude_tag", filters.exclude_tags),
        ("exclude_category", filters.exclude_categories),
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


def page_body(items: Sequence[bytes], next_cursor: str | None, total: int | None = None) -> bytes:
    body = b'{"items":[' + b",".join(items) + b'],"next":' + orjson.dumps(next_cursor)
    return body + (b"}" if total is None else b',"total":' + orjson.dumps(total) + b"}")


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
        else:
            value = int(value)
            if value not in _INTEGER_KEYS[sort]:
                raise InvalidCursor()
    except (TypeError, ValueError, OverflowError):  # ValidationError is a ValueError
        raise InvalidCursor() from None
    return value, values["id"]


def _ordered(key: Any, ascending: bool) -> tuple[Any, Any]:
    return (
        key.asc() if ascending else key.desc(),
        recipes.c.id.asc() if ascending else recipes.c.id.desc(),
    )


def _after(key: Any, recipe_id: Any, ascending: bool) -> Any:
    """Rows after the cursor's (key, id) in this order."""
    bound = sa.tuple_(sa.bindparam("after_key", type_=key.type), sa.bindparam("after_id"))
    row_key = sa.tuple_(key, recipe_id)
    return row_key > bound if ascending else row_key < bound


def _with_summaries(
    page: Any, *, ascending: bool, newest_first: bool | None = None, counts: Any = None
) -> Any:
    """The page's rows with their summaries and owners, joined in only once the page is
    chosen: joined before the sort, every match's summary would be read and carried through
    it, and a search for a common word would read thousands of summaries to return twenty.
    Rows are in the order of ``sort_key`` then id, the id the same way unless
    ``newest_first`` says. With ``counts`` (a one-row subquery), its columns come first, on a
    row of their own when the page is empty."""
    rows: Any = page.join(recipes, recipes.c.id == page.c.id).join(
        documents, documents.c.recipe_id == page.c.id
    )
    if counts is not None:
        rows = counts.outerjoin(rows, sa.true())
    ids_ascending = ascending if newest_first is None else not newest_first
    return (
        sa.select(
            *(counts.c if counts is not None else ()),
            page.c.id,
            # Untyped: only the last row's key is used, for the cursor (see _cursor_value).
            sa.type_coerce(page.c.sort_key, sa.types.NullType()),
            documents.c.summary,
            recipes.c.owner_id,
            owner_name,
        )
        .select_from(rows)
        .order_by(
            page.c.sort_key.asc() if ascending else page.c.sort_key.desc(),
            page.c.id.asc() if ids_ascending else page.c.id.desc(),
        )
    )


@lru_cache(maxsize=512)
def _list_statement(shape: _Shape, sort: str, keyset: bool) -> Any:
    """A page of the recipes meeting the filters: ids and sort keys chosen first, from the
    recipes table alone, then the summaries."""
    key, ascending = _SORT_COLUMNS[sort], _ASCENDING[sort]
    chosen = (
        sa.select(recipes.c.id.label("id"), key.label("sort_key"))
        .where(*_conditions(shape))
        .order_by(*_ordered(key, ascending))
        # Written into the statement when it runs: with the page's size known, PostgreSQL
        # keeps one plan per statement where it is as good as one made for the values, instead
        # of planning every page again (planning took longer than reading it).
        .limit(sa.bindparam("page_size", type_=sa.Integer, literal_execute=True))
    )
    if keyset:
        chosen = chosen.where(_after(key, recipes.c.id, ascending))
    return _with_summaries(chosen.subquery("page"), ascending=ascending)


@lru_cache(maxsize=512)
def _search_statement(shape: _Shape, sort: str, dialect: str, keyset: bool) -> Any:
    """How many recipes match the words, and a page of them: by relevance, the best after
    the position the parameters give (see ``search.ranked``); otherwise by the sort's
    column. One row with the count and no recipe when the page is empty."""
    filters = partial(_filters, shape)
    page_size: Any = sa.bindparam("page_size")
    if sort == "relevance":
        ranked = search.ranked(dialect, filters)
        page, total = ranked.page, ranked.total
        chosen = (
            sa.select(page.c.id, page.c.tier.label("sort_key"))
            .order_by(page.c.tier, page.c.id.desc())
            .limit(page_size)
        )
        counts = sa.select(total.label("total")).subquery("counts")
        return _with_summaries(
            chosen.subquery("page"), ascending=True, newest_first=True, counts=counts
        )
    found = search.matches(dialect, filters)
    key, ascending = _SORT_COLUMNS[sort], _ASCENDING[sort]
    chosen = (
        sa.select(recipes.c.id.label("id"), key.label("sort_key"))
        .select_from(found.found.join(recipes, recipes.c.id == found.found.c.id))
        .order_by(*_ordered(key, ascending))
        .limit(page_size)
    )
    if keyset:
        chosen = chosen.where(_after(key, recipes.c.id, ascending))
    counts = sa.select(found.total.label("total")).subquery("counts")
    return _with_summaries(chosen.subquery("page"), ascending=ascending, counts=counts)


@lru_cache(maxsize=512)
def _probe_statement(shape: _Shape, dialect: str) -> Any:
    return search.probe(dialect, partial(_filters, shape))


async def list_recipes(
    database: Database,
    *,
    viewer: Viewer,
    filters: RecipeFilters,
    sort: Sort | None,
    limit: int,
    cursor: str | None,
) -> bytes:
    """A page of summaries as JSON bytes: {"items": [...], "next": cursor-or-null}, and with
    words to search for, "total": how many recipes match them."""
    dialect = database.dialect_name
    words = search.words_of(filters.q) if filters.q else []
    if sort is None or (sort == "relevance" and not words):
        sort = "relevance" if words else "created"
    after = _decode(cursor, sort) if cursor else None
    shape = _shape(viewer, filters)
    if not words:
        parameters = _parameters(viewer, filters) | {"page_size": limit + 1}
        if after is not None:
            parameters["after_key"], parameters["after_id"] = after
        heavy = bool(filters.foods or filters.exclude_foods)
        statement = _list_statement(shape, sort, after is not None)
        rows = await database.rows(statement, parameters, heavy=heavy)
        return _page(rows, sort, limit, None)
    assert filters.q is not None
    # Every statement of a search keeps one plan per connection: each is built not to depend
    # on the words (see ``search``), and planning one takes milliseconds.
    async with database.reads(plan_once=True) as read:
        parameters = _filter_values(filters) | {"page_size": limit + 1}
        found = _SearchPage(read, shape, sort, dialect, viewer_keys(viewer), parameters)
        # The words whole; when nothing has them all, the last one as typed so far; when
        # that finds nothing either, the misspelt words corrected.
        await found.read(words, after)
        if found.total == 0:
            await found.read(search.as_typed(words), after)
        if found.total == 0 and (corrected := await found.correction(filters.q)):
            await found.read(corrected, after)
        return _page(found.rows, sort, limit, found.total)


class _SearchPage:
    """The rows of a page of search results, and how many recipes match."""

    def __init__(
        self,
        read: Reads,
        shape: _Shape,
        sort: str,
        dialect: str,
        keys: frozenset[str],
        parameters: dict[str, Any],
    ) -> None:
        self._read, self._shape, self._sort, self._dialect = read, shape, sort, dialect
        self._keys, self._parameters = keys, parameters
        self.rows: Sequence[tuple[Any, ...]] = []
        self.total = 0

    async def read(self, words: Sequence[search.Word], after: tuple[Any, int] | None) -> None:
        values = self._parameters | search.bind_values(self._dialect, words, self._keys)
        if self._sort == "relevance":
            values |= search.position(values["page_size"], after)
        elif after is not None:
            values["after_key"], values["after_id"] = after
        keyset = after is not None and self._sort != "relevance"
        statement = _search_statement(self._shape, self._sort, self._dialect, keyset)
        rows = await self._read.rows(statement, values, heavy=True)
        self.total = rows[0][0]
        self.rows = [row[1:] for row in rows if row[1] is not None]

    async def correction(self, query: str) -> list[search.Word] | None:
        return await search.corrected_words(
            self._read,
            self._dialect,
            query,
            _probe_statement(self._shape, self._dialect),
            self._parameters,
            self._keys,
        )


def _page(rows: Sequence[Any], sort: str, limit: int, total: int | None) -> bytes:
    more = len(rows) > limit
    rows = rows[:limit]
    items = _spliced((row[-3], row[-2], row[-1]) for row in rows)
    next_cursor = None
    if more:
        last = rows[-1]
        value = _cursor_value(last[-4], sort)
        next_cursor = encode_cursor({"s": sort, "v": value, "id": last[-5]})
    return page_body(items, next_cursor, total)


@lru_cache(maxsize=8)
def _cook_with_level(viewer: ViewerKind) -> Any:
    return on_hand.level_statement(_conditions(_Shape(viewer=viewer)))


async def cook_with(
    database: Database, *, viewer: Viewer, foods: Sequence[str], limit: int
) -> bytes:
    """Recipes ranked by the share of their ingredient foods among ``foods``: a few reads of
    the cook-with index, highest bounds first, until the top can no longer change (see
    ``search.on_hand``), then one read of the winners' summaries."""
    spellings = food_spellings(foods)
    # Every read of the index keeps one plan (see ``search.on_hand.level_statement``).
    async with database.reads(plan_once=True) as read:
        found_foods = await read.rows(on_hand.FOODS, {"spellings": spellings})
        on_hand_ids = [row[0] for row in found_foods]
        if not on_hand_ids:
            return page_body([], None)
        parameters = _parameters(viewer, RecipeFilters()) | on_hand.food_values(on_hand_ids)
        statement = _cook_with_level(viewer_kind(viewer))
        top = await on_hand.rank(read, statement, parameters, limit)
        if not top:
            return page_body([], None)
        rows = await read.rows(SUMMARIES, {"ids": [m.recipe_id for m in top]})
    found = {recipe_id: (summary, owner, name) for recipe_id, summary, owner, name in rows}
    items = []
    for match in top:
        if match.recipe_id not in found:
            continue  # deleted between the two reads
        summary, owner_id, name = found[match.recipe_id]
        extra = {"have": match.have, "need": match.need, "coverage": round(match.coverage, 4)}
        items.append(splice(_owner_prefix(owner_id, name, **extra), summary))
    return page_body(items, None)
