"""schema.org Recipe JSON-LD for the recipe page, so search engines and other recipe apps can
read it. Pure: a stored document in, a dict out, and a dump that is safe inside <script>."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from markupsafe import Markup

from recipevault.recipes.page_text import NUTRITION_LABELS, iso_duration

# Inside <script> the HTML parser ends the element at "</script>" whatever JSON thinks of it,
# and "<!--" changes how it reads on; escaping these characters keeps the JSON equal.
# (Chained replaces: str.translate with a dict is many times slower on a page-sized string.)
_SCRIPT_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _instructions(steps: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for step in steps:
        how_to = {"@type": "HowToStep", "text": step["text"]}
        section = step.get("section")
        if not section:
            current = None
            items.append(how_to)
            continue
        if current is None or current["name"] != section:
            current = {"@type": "HowToSection", "name": section, "itemListElement": []}
            items.append(current)
        current["itemListElement"].append(how_to)
    return items


def recipe_json_ld(document: Mapping[str, Any], *, url: str) -> dict[str, Any]:
    """The recipe as a schema.org ``Recipe``; fields the recipe lacks are left out."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Recipe",
        "name": document["title"],
        "url": url,
        "description": document.get("description"),
        "author": {"@type": "Person", "name": document["owner"]["display_name"]}
        if document.get("owner")
        else None,
        "datePublished": str(document.get("created_at") or "")[:10] or None,
        "dateModified": str(document.get("updated_at") or "")[:10] or None,
        "prepTime": iso_duration(document.get("prep_minutes")),
        "cookTime": iso_duration(document.get("cook_minutes")),
        "totalTime": iso_duration(document.get("total_minutes")),
        "recipeYield": document.get("yield_text")
        or (str(document["servings"]) if document.get("servings") is not None else None),
        "recipeIngredient": [line["text"] for line in document.get("ingredients") or []],
        "recipeInstructions": _instructions(document.get("steps") or []),
        "recipeCategory": document.get("categories") or None,
        "keywords": ", ".join(document.get("tags") or []) or None,
        "tool": document.get("tools") or None,
        "isBasedOn": document.get("source_url"),
        "creditText": document.get("attribution"),
    }
    nutrition = document.get("nutrition") or {}
    if any(nutrition.get(key) for key, _ in NUTRITION_LABELS):
        data["nutrition"] = {
            "@type": "NutritionInformation",
            **{_camel(key): nutrition[key] for key, _ in NUTRITION_LABELS if nutrition.get(key)},
        }
    # The widest rendition of each image, as absolute addresses (the page's own origin).
    origin = url.split("/recipes/", 1)[0]
    images = [
        origin + image["urls"][max(image["urls"], key=int)]
        for image in document.get("images") or []
        if image.get("urls")
    ]
    if images:
        data["image"] = images
    return {key: value for key, value in data.items() if value not in (None, [], "")}


def script_json(data: Any) -> Markup:
    """JSON to place between <script type="application/ld+json"> tags as it is."""
    dumped = orjson.dumps(data).decode()
    for character, escaped in _SCRIPT_ESCAPES:
        dumped = dumped.replace(character, escaped)
    return Markup(dumped)  # noqa: S704
