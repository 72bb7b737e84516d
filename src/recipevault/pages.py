"""Site-wide pages that belong to no single feature: the home page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from recipevault.deps import MarkPage, OptionalPageUser
from recipevault.recipes import page_views as recipe_views
from recipevault.web.rendering import render

router = APIRouter(include_in_schema=False, dependencies=[MarkPage])


@router.get("/")
async def home(request: Request, viewer: OptionalPageUser) -> Response:
    context = await recipe_views.home_context(request.app.state.database)
    return render(request, "recipes/home.html", context)
