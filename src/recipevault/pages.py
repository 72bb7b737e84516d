"""Site-wide pages that belong to no single feature: the home page, and placeholders for the
sections the navigation already names but that have no pages yet."""

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


def _coming_soon(request: Request, *, section: str, title: str, blurb: str) -> Response:
    context = {"section": section, "title": title, "blurb": blurb}
    return render(request, "coming_soon.html", context)


# Each placeholder goes when its feature's pages.py takes over the address.
@router.get("/shopping")
async def shopping(request: Request, viewer: OptionalPageUser) -> Response:
    return _coming_soon(
        request,
        section="shopping",
        title="Shopping lists",
        blurb="Turn recipes and meal plans into one list, with like items added up.",
    )
