"""The recipe pages people read: browse and search, a recipe, and cook mode.

These are the site's busiest pages, so they read like the API's hot reads: the list comes from
``listing`` and a recipe from its stored document, with no ORM session; a browser without a
session cookie costs no query to identify, and one with a cookie a short read-only session.
What the routes share is in ``page_views``.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.http.hosts import site_url
from recipevault.http.pagination import InvalidCursor
from recipevault.http.routing import direct_get
from recipevault.policy import can_edit
from recipevault.recipes import page_text as display
from recipevault.recipes import page_views as views
from recipevault.recipes.structured_data import recipe_json_ld, script_json
from recipevault.web.flash import has_flashes
from recipevault.web.rendering import render

router = APIRouter(include_in_schema=False)


@direct_get(router, "/recipes")
async def browse(request: Request) -> Response:
    """Recipes the reader may see, searched and filtered, newest (or best match) first."""
    reader = await views.page_reader(request)
    query, problems = views.list_query(request)
    database: Database = request.app.state.database
    try:
        items, next_cursor, total = await views.summaries(
            database, viewer=reader.actor, query=query, limit=views.PAGE_SIZE
        )
    except InvalidCursor:
        problems["cursor"] = "That “more” link is out of date; here are the first recipes."
        query = query.model_copy(update={"cursor": None})
        items, next_cursor, total = await views.summaries(
            database, viewer=reader.actor, query=query, limit=views.PAGE_SIZE
        )
    more_url = f"/recipes?{views.query_string(query, cursor=next_cursor)}" if next_cursor else None
    context = {
        "query": query,
        "items": items,
        "total": total,
        "more_url": more_url,
        "problems": problems,
        "searching": bool(query.q or query.tag or query.category or query.food),
        "filtered": bool(query.max_total_minutes or query.sort),
        "sort_choices": views.SORT_CHOICES,
        "time_choices": views.TIME_CHOICES,
    }
    target = views.htmx_target(request)
    if target == "recipe-list":  # the "More recipes" link appending to the list
        template = "recipes/_more.html"
    elif target == "recipe-results":
        template = "recipes/_results.html"
    else:
        template = "recipes/browse.html"
    status = 400 if problems and "cursor" not in problems else 200
    return render(request, template, context, status_code=status, headers=views.VARY)


@direct_get(router, "/recipes/{slug}")
async def recipe(request: Request) -> Response:
    """A recipe, scaled and converted as asked; with htmx, only its ingredients change."""
    # The slug is read from the path, not declared: FastAPI validates a declared parameter on
    # every request, a tenth of what serving a cached page costs.
    reader, stored = await views.readable(request, request.path_params["slug"])
    settings: Settings = request.app.state.settings
    # The page's JSON-LD names its own address, which may differ by the host it was asked at.
    site = site_url(settings, request)
    # Visitors all see the same page for a version and view of a recipe (no form, no name):
    # it is rendered once and then served as bytes, like the API serves its documents. A plain
    # visit (no query, no htmx) is answered before the recipe is even parsed.
    visitor = reader.identity is None and not has_flashes(request)
    plain = visitor and not request.scope["query_string"] and "hx-request" not in request.headers
    if plain and (body := views.visitor_page((stored.etag, site))) is not None:
        return Response(body, media_type="text/html", headers=views.VISITOR_HEADERS)
    document: dict[str, Any] = orjson.loads(stored.body)
    view = views.recipe_view(request, document, reader.units)
    status = 400 if view.error else 200
    if views.htmx_target(request) == "ingredient-list":
        context = {"recipe": document, "view": view, **views.ingredient_context(view)}
        return render(
            request, "recipes/_ingredients.html", context, status_code=status, headers=views.VARY
        )
    for_visitors = visitor and view.error is None
    page_key = (
        (stored.etag, site)
        if plain
        else (stored.etag, site, view.servings, view.scale, view.units, view.default_units)
    )
    if for_visitors and (body := views.visitor_page(page_key)) is not None:
        return Response(body, media_type="text/html", headers=views.VISITOR_HEADERS)
    editable = can_edit(reader.actor, stored)
    url = f"{site}/recipes/{document['slug']}"
    context = {
        "recipe": document,
        "article": views.article(stored.etag, document, view, can_edit=editable),
        "json_ld": script_json(recipe_json_ld(document, url=url)),
    }
    response = render(
        request,
        "recipes/detail.html",
        context,
        status_code=status,
        headers=views.VARY,
        visitor_forms=not for_visitors,
    )
    if for_visitors:
        views.keep_visitor_page(page_key, bytes(response.body))
    return response


@router.get("/recipes/{slug}/cook")
async def cook(slug: str, request: Request) -> Response:
    """Cook mode: large type, every step in order; the script adds one-step-at-a-time, a
    screen wake lock and step timers."""
    _reader, _stored, document, view = await views.recipe_and_view(request, slug)
    context = {
        "recipe": document,
        "view": view,
        "ingredients": display.ingredient_sections(view.document, changed=view.changed),
        "steps": display.step_sections(document),
        "servings_text": display.servings_text(view.document.get("servings")),
    }
    return render(request, "recipes/cook.html", context, status_code=400 if view.error else 200)
