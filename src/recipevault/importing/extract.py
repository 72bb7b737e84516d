"""Recipes out of a recipe web page's HTML, or out of pasted schema.org JSON-LD.

A page is read two ways. recipe-scrapers knows several hundred sites and reads each with its own
rules, and reads any other site's schema.org data; it returns one recipe. The page's own
schema.org data (JSON-LD and microdata) is also read here directly, which keeps steps grouped in
their sections, finds every recipe of a page holding several, and still works when
recipe-scrapers fails. Both are pure CPU work: callers run them in a thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

import extruct
from recipe_scrapers import scrape_html, scraper_exists_for

from recipevault.importing.draft import ImportedRecipe, NoRecipeFound, SourceRejected
from recipevault.importing.schemaorg import (
    MAX_DEPTH,
    as_list,
    clean_text,
    grouped_ingredients,
    images_from,
    recipe_from_schema,
    steps_from,
    types_of,
)

MAX_NODES = 20_000
# recipe-scrapers needs an address; this one matches no site and resolves nothing real.
_NOWHERE = "https://unknown.invalid/"

_JSON_LD = re.compile(
    r"<script\b[^>]*\btype\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_MICRODATA_RECIPE = re.compile(r"itemtype\s*=\s*[\"']?https?://schema\.org/Recipe", re.IGNORECASE)
_TAG_ATTRIBUTES = re.compile(r"([\w:-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)")
_LINK_OR_META = re.compile(r"<(?:link|meta)\b[^>]*>", re.IGNORECASE)
_BARE_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/|$)")
_JSON_WRAPPING = re.compile(r"<!--|-->|<!\[CDATA\[|\]\]>|^\s*//.*$", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_CONTENT_KEYS = ("recipeIngredient", "ingredients", "recipeInstructions", "instructions")
# Kept from the page's schema.org data even over a site's rules: they are more complete there.
_PAGE_WINS = ("recipeYield", "publisher")
_SCRAPED_FIELDS = {
    "name": "title",
    "recipeIngredient": "ingredients",
    "recipeInstructions": "instructions_list",
    "recipeYield": "yields",
    "totalTime": "total_time",
    "prepTime": "prep_time",
    "cookTime": "cook_time",
    "description": "description",
    "author": "author",
    "recipeCategory": "category",
    "recipeCuisine": "cuisine",
    "keywords": "keywords",
    "nutrition": "nutrients",
    "tool": "equipment",
}


def extract_recipes(html: str, *, url: str | None = None) -> list[ImportedRecipe]:
    """Every recipe of a web page (or of pasted JSON-LD), the page's main recipe first.

    `url` is the page's address: it picks recipe-scrapers' rules for a site it knows, and
    relative image addresses are resolved against it. Raises `NoRecipeFound` when there is
    no recipe and `SourceRejected` when the text cannot be read at all.
    """
    return _guarded(html, url, use_scrapers=True)


def extract_schema_recipes(html: str, *, url: str | None = None) -> list[ImportedRecipe]:
    """Like `extract_recipes`, from the page's own schema.org data only (no recipe-scrapers)."""
    return _guarded(html, url, use_scrapers=False)


def recipe_nodes(data: Any) -> list[dict[str, Any]]:
    """The schema.org Recipe objects in parsed JSON-LD: at the top, in lists, in @graph or in
    another object (a WebPage's mainEntity, an ItemList), with @id references filled in."""
    index: dict[str, Mapping[str, Any]] = {}
    nodes = list(_walk(data, index))
    found: list[dict[str, Any]] = []
    for node in nodes:
        if "Recipe" not in types_of(node):
            continue
        recipe = {key: _resolved(value, index, 0) for key, value in node.items()}
        if "publisher" not in recipe and (site := _site_name(nodes)):
            recipe["publisher"] = {"name": site}
        _add_recipe(found, recipe)
    return found


def _guarded(html: str, url: str | None, *, use_scrapers: bool) -> list[ImportedRecipe]:
    text = html.strip() if isinstance(html, str) else ""
    if not text:
        raise NoRecipeFound()
    try:
        if text[0] in "{[":
            return _from_json(text, _absolute(url))
        return _from_page(text, _absolute(url), use_scrapers=use_scrapers)
    except SourceRejected:
        raise
    except Exception as error:
        raise SourceRejected("this page could not be read as a recipe") from error


def _from_json(text: str, url: str | None) -> list[ImportedRecipe]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SourceRejected("the pasted text is not valid JSON") from error
    nodes = recipe_nodes(data)
    if not nodes and isinstance(data, dict) and any(data.get(key) for key in _CONTENT_KEYS):
        nodes = [data]
    recipes = _readable(nodes, url)
    if not recipes:
        raise NoRecipeFound("no recipe found in the pasted JSON")
    return recipes


def _from_page(html: str, url: str | None, *, use_scrapers: bool) -> list[ImportedRecipe]:
    canonical, site = _page_meta(html, url)
    page_url = url or canonical
    nodes = _page_nodes(html, page_url)
    for node in nodes:
        if site and not node.get("publisher"):
            node["publisher"] = {"name": site}
    scraped = _scrape(html, page_url) if use_scrapers else None
    if scraped is not None:
        _merge_scraped(nodes, scraped, page_url)
    recipes = _readable(nodes, canonical or page_url)
    if not recipes:
        raise NoRecipeFound()
    if scraped is not None:
        _apply_groups(recipes[0], scraped.get("_groups"))
    return recipes


def _readable(nodes: list[dict[str, Any]], url: str | None) -> list[ImportedRecipe]:
    recipes = []
    for node in nodes:
        try:
            recipes.append(recipe_from_schema(node, url=url))
        except NoRecipeFound:
            continue
    return recipes


def _absolute(url: str | None) -> str | None:
    """The address as given when absolute; "example.com/x" as https; None when relative."""
    address = (url or "").strip()
    if address.lower().startswith(("http://", "https://")):
        return address
    return f"https://{address}" if _BARE_HOST.match(address) else None


def _page_meta(html: str, url: str | None) -> tuple[str | None, str | None]:
    """The page's own address (its canonical link, else og:url) and its og:site_name."""
    found: dict[str, str] = {}
    for tag in _LINK_OR_META.findall(html[:500_000]):
        attributes = {
            name.lower(): value.strip("\"'") for name, value in _TAG_ATTRIBUTES.findall(tag)
        }
        kind = attributes.get("property", "").lower()
        if "canonical" in attributes.get("rel", "").lower().split():
            found.setdefault("canonical", attributes.get("href", ""))
        elif kind in ("og:url", "og:site_name"):
            found.setdefault(kind, attributes.get("content", ""))
    address = None
    for key in ("canonical", "og:url"):
        if given := clean_text(found.get(key)):
            absolute = urljoin(url or "", given)
            if absolute.lower().startswith(("http://", "https://")):
                address = absolute
                break
    return address, clean_text(found.get("og:site_name")) or None


def _page_nodes(html: str, url: str | None) -> list[dict[str, Any]]:
    documents = [data for script in _JSON_LD.findall(html) if (data := _lenient_json(script))]
    nodes = recipe_nodes(documents)
    if _MICRODATA_RECIPE.search(html):
        found = extruct.extract(
            html, base_url=url, syntaxes=["microdata"], uniform=True, errors="ignore"
        )
        for node in recipe_nodes(found.get("microdata", [])):
            _add_recipe(nodes, node)
    return nodes


def _lenient_json(script: str) -> Any:
    """A JSON-LD script's data, forgiving HTML comments, CDATA markers and trailing commas."""
    forgiven = _TRAILING_COMMA.sub(r"\1", _JSON_WRAPPING.sub("", script))
    for attempt in (script, forgiven):
        try:
            return json.loads(attempt, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _walk(value: Any, index: dict[str, Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every object in the data, breadth first, bounded; each @id is noted in `index`."""
    queue: list[tuple[Any, int]] = [(value, 0)]
    for item, depth in queue:
        if len(queue) > MAX_NODES or depth > MAX_DEPTH:
            break
        if isinstance(item, list | tuple):
            queue.extend((child, depth + 1) for child in item)
        elif isinstance(item, Mapping):
            if isinstance(node_id := item.get("@id"), str) and len(item) > 1:
                index.setdefault(node_id, item)
            yield item
            if "Recipe" not in types_of(item):
                queue.extend((child, depth + 1) for child in item.values())


def _resolved(value: Any, index: Mapping[str, Mapping[str, Any]], depth: int) -> Any:
    """`value` with objects that only refer to another by @id replaced by that object."""
    if depth > 4:
        return value
    if isinstance(value, list):
        return [_resolved(item, index, depth + 1) for item in value]
    if isinstance(value, Mapping):
        if set(value) == {"@id"} and isinstance(value["@id"], str) and value["@id"] in index:
            value = index[value["@id"]]
        return {key: _resolved(item, index, depth + 1) for key, item in value.items()}
    return value


def _site_name(nodes: list[Mapping[str, Any]]) -> str | None:
    for kind in ("WebSite", "Organization"):
        for node in nodes:
            if kind in types_of(node) and (name := clean_text(node.get("name"))):
                return name
    return None


def _add_recipe(found: list[dict[str, Any]], recipe: dict[str, Any]) -> None:
    """Add a recipe, or fill the gaps of one already found under the same @id or name."""
    for known in found:
        if _same_recipe(known, recipe):
            for key, value in recipe.items():
                if not known.get(key):
                    known[key] = value
            return
    if any(recipe.get(key) for key in _CONTENT_KEYS):
        found.append(recipe)


def _same_recipe(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    if one.get("@id") and one.get("@id") == other.get("@id"):
        return True
    name = clean_text(one.get("name")).casefold()
    return bool(name) and name == clean_text(other.get("name")).casefold()


def _scrape(html: str, url: str | None) -> dict[str, Any] | None:
    """What recipe-scrapers reads from the page, under schema.org names; None if nothing."""
    try:
        scraper = scrape_html(html, org_url=url or _NOWHERE, supported_only=False)
        site_rules = scraper_exists_for(url or _NOWHERE)
    except Exception:
        return None
    scraped: dict[str, Any] = {
        key: value
        for key, method in _SCRAPED_FIELDS.items()
        if (value := _field(scraper, method)) not in (None, "", [], {})
    }
    if not (scraped.get("recipeIngredient") or scraped.get("recipeInstructions")):
        return None
    scraped["_site_rules"] = site_rules
    scraped["_groups"] = _field(scraper, "ingredient_groups")
    if url and (image := _field(scraper, "image")):
        scraped["image"] = image
    if site := _field(scraper, "site_name"):
        scraped["publisher"] = {"name": site}
    return scraped


def _field(scraper: Any, method: str) -> Any:
    # Each field is read on its own: a site's rules may fail for one and not for the others.
    try:
        return getattr(scraper, method)()
    except Exception:
        return None


def _merge_scraped(nodes: list[dict[str, Any]], scraped: dict[str, Any], url: str | None) -> None:
    """Lay what recipe-scrapers read over the page's matching recipe (or add it as the first).

    A site's own rules win, but for the yield as written and for schema.org steps that read
    the same (they keep their sections); recipe-scrapers' generic reading only fills gaps.
    """
    title = clean_text(scraped.get("name")).casefold()
    node = next((n for n in nodes if clean_text(n.get("name")).casefold() == title), None)
    if node is None and nodes:
        node = nodes[0]
    if node is None:
        node = {}
        nodes.insert(0, node)
    elif node is not nodes[0]:
        nodes.remove(node)
        nodes.insert(0, node)
    # recipe-scrapers picks the largest of the page's images; any other it finds must be the
    # site's own rules speaking.
    known_images = {image.url for image in images_from(node.get("image"), url, limit=50)}
    lines = [clean_text(line) for line in scraped.get("recipeInstructions") or []]
    if lines and lines == _instruction_lines(node.get("recipeInstructions")):
        scraped.pop("recipeInstructions")
    for key, value in scraped.items():
        if key.startswith("_"):
            continue
        if key == "image" and (scraped["_site_rules"] or value in known_images):
            node["image"] = [value, *as_list(node.get("image"))]
        elif not node.get(key) or (scraped["_site_rules"] and key not in _PAGE_WINS):
            node[key] = value


def _instruction_lines(value: Any) -> list[str]:
    """Steps as plain lines, each section's name on a line of its own before its steps."""
    lines: list[str] = []
    section = None
    for step in steps_from(value):
        if step.section and step.section != section:
            lines.append(step.section)
        section = step.section
        lines.append(step.text)
    return lines


def _apply_groups(imported: ImportedRecipe, groups: Any) -> None:
    """Give the ingredients the sections recipe-scrapers found in the page's HTML."""
    if not isinstance(groups, list):
        return
    pairs = [
        (getattr(group, "purpose", None), getattr(group, "ingredients", None)) for group in groups
    ]
    if not any(purpose for purpose, _ in pairs):
        return
    grouped = grouped_ingredients(pairs)
    current = [ingredient.text for ingredient in imported.recipe.ingredients]
    if sorted(str(i.text) for i in grouped) != sorted(str(text) for text in current):
        return
    imported.recipe = imported.recipe.model_copy(update={"ingredients": grouped})
