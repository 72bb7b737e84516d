"""How the recipe pages are put together: who is reading and in which units, the search form's
query, a recipe scaled and converted as the reader asked, and the renderings kept for reuse.

The routes are in ``pages``; everything here is what they share.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import orjson
from fastapi import Request
from markupsafe import Markup
from pydantic import ValidationError

from recipevault.accounts.auth import Identity, who_is_asking
from recipevault.accounts.models import UnitSystem
from recipevault.db import Database
from recipevault.policy import Actor
from recipevault.recipes import listing, page_reads
from recipevault.recipes import page_text as display
from recipevault.recipes.documents import StoredRecipe
from recipevault.recipes.scaled_document import present
from recipevault.recipes.schemas import RecipeListQuery, RecipeViewQuery
from recipevault.web.forms import field_errors
from recipevault.web.rendering import PAGE_HEADERS, environment

PAGE_SIZE = 24
HOME_SIZE = 6
Units = Literal["original", "metric", "us"]
UNIT_CHOICES: tuple[tuple[Units, str], ...] = (
    ("original", "As written"),
    ("metric", "Metric"),
    ("us", "US"),
)
SORT_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Best match, then newest"),
    ("created", "Newest"),
    ("updated", "Recently changed"),
    ("title", "Title"),
    ("total_time", "Quickest"),
    ("rating", "Highest rated"),
)
TIME_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Any time"),
    ("15", "15 min or less"),
    ("30", "30 min or less"),
    ("45", "45 min or less"),
    ("60", "1 hour or less"),
    ("120", "2 hours or less"),
)
_PREFERRED_UNITS: dict[UnitSystem, Units] = {
    UnitSystem.ORIGINAL: "original",
    UnitSystem.METRIC: "metric",
    UnitSystem.US: "us",
}
_LIST_TERMS = ("tag", "category", "food")
_LIST_SINGLE = ("q", "max_total_minutes", "sort", "cursor")
NO_FILTERS = RecipeListQuery.model_validate({})
VARY = {"Vary": "HX-Request, HX-Target"}


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is reading a page, and the units they asked to read recipes in."""

    identity: Identity | None
    units: Units | None

    @property
    def actor(self) -> Actor | None:
        return self.identity.actor if self.identity is not None else None


async def page_reader(request: Request) -> Reader:
    """The reader of a read-only page. Declared as no dependency: these routes run on every
    visit, and a visitor without a session cookie should cost nothing to identify."""
    request.state.page = True  # errors on this route are HTML pages (see errors.wants_html)
    identity = await who_is_asking(request, browser=True)
    units = None if identity is None else _PREFERRED_UNITS[identity.unit_system]
    return Reader(identity=identity, units=units)


def htmx_target(request: Request) -> str | None:
    """The element an htmx request will swap, or None for a whole page (a normal visit, or
    htmx restoring history it has no copy of)."""
    headers = request.headers
    if headers.get("hx-request") != "true" or headers.get("hx-history-restore-request"):
        return None
    return headers.get("hx-target") or ""


# --- Browse and search ------------------------------------------------------------------------


def list_query(request: Request) -> tuple[RecipeListQuery, dict[str, str]]:
    """The search form's query, and a message per parameter that could not be used (those are
    left out rather than refused: the page still shows recipes)."""
    params = request.query_params
    raw: dict[str, Any] = {}
    for name in _LIST_TERMS:
        values = [value.strip() for value in params.getlist(name) if value.strip()]
        if values:
            raw[name] = values
    for name in _LIST_SINGLE:
        value = params.get(name, "").strip()
        if value:
            raw[name] = value
    try:
        return RecipeListQuery.model_validate(raw), {}
    except ValidationError as exc:
        problems = field_errors(exc)
    kept = {name: value for name, value in raw.items() if name not in problems}
    try:
        return RecipeListQuery.model_validate(kept), problems
    except ValidationError:
        return NO_FILTERS, problems


def query_string(query: RecipeListQuery, **changes: Any) -> str:
    values: dict[str, Any] = {
        "q": query.q,
        "tag": list(query.tag),
        "category": list(query.category),
        "food": list(query.food),
        "max_total_minutes": query.max_total_minutes,
        "sort": query.sort,
    } | changes
    pairs = [
        (name, str(item))
        for name, value in values.items()
        for item in (value if isinstance(value, list) else [value])
        if item not in (None, "")
    ]
    return urlencode(pairs)


async def summaries(
    database: Database,
    *,
    viewer: Actor | None,
    query: RecipeListQuery,
    limit: int,
    sort: Any = None,
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """A page of summaries, the next page's cursor, and with words to search for, how many
    recipes match."""
    body = await listing.list_recipes(
        database,
        viewer=viewer,
        filters=listing.RecipeFilters.from_query(query),
        sort=sort or query.sort,
        limit=limit,
        cursor=query.cursor,
    )
    page = orjson.loads(body)
    for item in page["items"]:
        item["time_text"] = display.minutes_text(item["total_minutes"])
    return page["items"], page["next"], page.get("total")


async def choices(
    database: Database, viewer: Actor | None, q: str | None, *, limit: int = 8
) -> list[dict[str, Any]]:
    """Recipes ``viewer`` may read that match ``q``, as the recipe search finds them: what a
    form offers to pick from (nothing until something is typed)."""
    if not q or not q.strip():
        return []
    items, _, _ = await summaries(
        database,
        viewer=viewer,
        query=RecipeListQuery.model_validate({"q": q.strip()}),
        limit=limit,
    )
    return items


async def home_context(database: Database) -> dict[str, Any]:
    """The home page's recipe blocks: the newest and the highest rated public recipes."""
    query = NO_FILTERS
    recent, _, _ = await summaries(database, viewer=None, query=query, limit=HOME_SIZE)
    popular, _, _ = await summaries(
        database, viewer=None, query=query, limit=HOME_SIZE, sort="rating"
    )
    return {"recent_recipes": recent, "popular_recipes": [r for r in popular if r["rating"]]}


# --- One recipe -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    """How the reader asked to see the recipe: scaled, converted, or as written."""

    document: dict[str, Any]
    servings: Decimal | None
    scale: Decimal | None
    units: Units
    changed: bool
    default_units: Units = "original"
    error: str | None = None

    @property
    def servings_label(self) -> str:
        return display.plain_number(self.servings)

    @property
    def scale_label(self) -> str:
        return display.plain_number(self.scale)

    def query(self) -> str:
        """The query string that shows the recipe this way again (for the cook mode link)."""
        values = {
            "servings": self.servings_label,
            "scale": self.scale_label,
            "units": self.units if self.units != self.default_units else "",
        }
        return urlencode({name: value for name, value in values.items() if value})


def recipe_view(request: Request, document: dict[str, Any], preferred: Units | None) -> View:
    params = request.query_params
    requested_units = params.get("units", "")
    units: Units = preferred or "original"
    error = None
    if requested_units in ("original", "metric", "us"):
        units = requested_units  # type: ignore[assignment]
    elif requested_units:
        error = "Choose metric, US or as written."
    raw = {
        name: params[name].strip() for name in ("servings", "scale") if params.get(name, "").strip()
    }
    try:
        view = RecipeViewQuery.model_validate(raw)
    except ValidationError as exc:
        error = error or next(iter(field_errors(exc).values()))
        view = RecipeViewQuery()
    servings = view.servings if document.get("servings") is not None else None
    scale = view.scale if servings is None else None
    system = None if units == "original" else units
    presented = document
    if servings is not None or scale is not None or system is not None:
        presented = present(document, factor=scale or Decimal(1), servings=servings, system=system)
    factor_changed = (servings is not None and Decimal(str(document["servings"])) != servings) or (
        scale is not None and scale != 1
    )
    return View(
        document=presented,
        servings=servings,
        scale=scale,
        units=units,
        changed=factor_changed or system is not None,
        default_units=preferred or "original",
        error=error,
    )


async def readable(request: Request, slug: str) -> tuple[Reader, StoredRecipe]:
    reader = await page_reader(request)
    database: Database = request.app.state.database
    stored = await page_reads.readable_document(database, viewer=reader.actor, slug=slug)
    return reader, stored


async def recipe_and_view(
    request: Request, slug: str
) -> tuple[Reader, StoredRecipe, dict[str, Any], View]:
    reader, stored = await readable(request, slug)
    document: dict[str, Any] = orjson.loads(stored.body)
    return reader, stored, document, recipe_view(request, document, reader.units)


def ingredient_context(view: View) -> dict[str, Any]:
    return {
        "ingredients": display.ingredient_sections(view.document, changed=view.changed),
        "unit_choices": UNIT_CHOICES,
    }


# The recipe's part of its page, as last rendered for each way of viewing it. The key holds the
# document's ETag, so a changed recipe (or a renamed owner) is a new key, never a stale hit;
# the oldest renderings make room for new ones.
_ARTICLES: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
ARTICLE_CACHE_SIZE = 512


# Whole pages as visitors get them, keyed the same way.
_VISITOR_PAGES: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
VISITOR_HEADERS = {**PAGE_HEADERS, **VARY}


def visitor_page(key: tuple[Any, ...]) -> bytes | None:
    """A page as visitors get it, if it was rendered for ``key`` and is still kept."""
    body = _VISITOR_PAGES.get(key)
    if body is not None:
        _VISITOR_PAGES.move_to_end(key)
    return body


def keep_visitor_page(key: tuple[Any, ...], body: bytes) -> None:
    _remember(_VISITOR_PAGES, key, body)


def _remember(cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    cache[key] = value
    if len(cache) > ARTICLE_CACHE_SIZE:
        cache.popitem(last=False)


def article(etag: str, document: dict[str, Any], view: View, *, can_edit: bool) -> Markup:
    key = (etag, view.servings, view.scale, view.units, view.default_units, can_edit)
    cached = _ARTICLES.get(key)
    if cached is not None and view.error is None:
        _ARTICLES.move_to_end(key)
        return cached
    context = {
        "recipe": document,
        "view": view,
        **ingredient_context(view),
        "steps": display.step_sections(document),
        "nutrition": display.nutrition_rows(document),
        "times": _times(document),
        "servings_text": display.servings_text(document.get("servings")),
        "can_edit": can_edit,
        "source_host": urlsplit(document.get("source_url") or "").hostname,
        "created": datetime.fromisoformat(document["created_at"]),
        "updated": datetime.fromisoformat(document["updated_at"]),
    }
    article = Markup(environment.get_template("recipes/_article.html").render(context))  # noqa: S704
    if view.error is None:
        _remember(_ARTICLES, key, article)
    return article


def _times(document: dict[str, Any]) -> list[tuple[str, str]]:
    labels = (("prep_minutes", "Prep"), ("cook_minutes", "Cook"), ("total_minutes", "Total"))
    return [
        (label, text)
        for name, label in labels
        if (text := display.minutes_text(document.get(name))) is not None
    ]
