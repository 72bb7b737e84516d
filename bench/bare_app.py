"""The yardstick: FastAPI with nothing of RecipeVault in it.

Absolute requests per second drift with the machine, its load and its temperature, so every
RecipeVault figure is divided by what this app does in the same run on the same server options.
It has no middleware, no database and no templates: what is left is the cost of uvicorn, Starlette
routing and FastAPI's response handling, which RecipeVault pays too.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

RECIPE = {"id": 1, "title": "Pancakes", "servings": 4}

# About 200 bytes, roughly the head of a small server-rendered page.
PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Pancakes</title></head>"
    "<body><main><h1>Pancakes</h1><p>Serves 4. Whisk flour, eggs and milk; rest the batter;"
    " cook in butter.</p></main></body></html>"
)

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/json")
async def json_document() -> dict[str, object]:
    """A small JSON document, the baseline for every API scenario."""
    return RECIPE


@app.get("/html", response_class=HTMLResponse)
async def html_page() -> str:
    """A small HTML string, the baseline for server-rendered pages."""
    return PAGE
