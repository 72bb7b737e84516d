"""A schema.org Recipe (as web pages and other apps' exports carry it) read into a recipe.

Everything here is pure: values are cleaned (HTML stripped, entities unescaped, whitespace
collapsed) and clamped to the bounds of `RecipeCreate`, so data from a real page never fails
validation; what does not fit is cut at a word boundary or left out.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import ValidationError

from recipevault.importing.draft import ImageSource, ImportedRecipe, NoRecipeFound, SourceRejected
from recipevault.recipes.schemas import (
    MAX_INGREDIENTS,
    MAX_STEPS,
    MAX_TAGS,
    IngredientIn,
    Nutrition,
    RecipeCreate,
    StepIn,
)

MAX_MINUTES = 60 * 24 * 365
MAX_TIMER_MINUTES = 60 * 24 * 7
MAX_IMAGES = 5
MAX_DEPTH = 12
UNTITLED = "Untitled recipe"

_TAG = re.compile(r"<!--.*?-->|</?[a-zA-Z][^<>]*>", re.DOTALL)
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/li|/div|/h\d|li|p|tr)\b[^<>]*>", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\xad"))
_SPACE = re.compile(r"\s+")
_BYLINE = re.compile(r"^(?:recipe\s+)?(?:by|courtesy(?:\s+of)?)\s+", re.IGNORECASE)
_AMOUNT = r"(\d+(?:[.,]\d+)?)"
_ISO_DURATION = re.compile(
    rf"P(?:{_AMOUNT}Y)?(?:{_AMOUNT}M)?(?:{_AMOUNT}W)?(?:{_AMOUNT}D)?"
    rf"(?:T(?:{_AMOUNT}H)?(?:{_AMOUNT}M)?(?:{_AMOUNT}S)?)?",
    re.IGNORECASE,
)
# Minutes in each part of an ISO 8601 duration: years, months, weeks, days, hours, minutes, seconds.
_ISO_MINUTES = (525_600, 43_200, 10_080, 1_440, 60, 1, 1 / 60)
_SPOKEN_DURATION = re.compile(
    r"(?P<amount>\d+(?:[.,]\d+)?)\s*(?P<unit>days?|d|hours?|hrs?|h|std\w*|heures?|horas?|ore|"
    r"ora|timer?|min\w*|m|seconds?|secs?|s)\b",
    re.IGNORECASE,
)
_CLOCK_DURATION = re.compile(r"(\d{1,3})\s*(?::|h)\s*([0-5]\d)", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?P<mixed>\d{1,6})\s+(?P<mnum>\d{1,6})\s*[/\u2044]\s*(?P<mden>\d{1,6})"
    r"|(?P<num>\d{1,6})\s*[/\u2044]\s*(?P<den>\d{1,6})"
    r"|(?P<vwhole>\d{1,6})?\s*(?P<vulgar>[¼½¾⅐-⅞])"
    r"|(?P<dec>\d{1,6}(?:[.,]\d{1,6})?)"
)
# schema.org's NutritionInformation names are the camelCase of the Nutrition fields.
_NUTRITION_FIELDS = {
    re.sub(r"_(\w)", lambda match: match[1].upper(), name): name for name in Nutrition.model_fields
}


def clean_text(value: Any) -> str:
    """One line of plain text: entities unescaped, tags dropped, whitespace collapsed."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return ""
    try:
        text = str(value)
    except ValueError:  # an integer too long to print
        return ""
    for _ in range(3):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _TAG.sub("", text).translate(_INVISIBLE)
    if "((" in text and "))" in text:
        # WordPress Recipe Maker doubles the parentheses around its notes.
        text = text.replace("((", "(").replace("))", ")")
    return _SPACE.sub(" ", text).strip()


def text_lines(value: Any) -> list[str]:
    """Plain text lines of a value that may hold line breaks or block-level HTML."""
    if not isinstance(value, str):
        return [line] if (line := clean_text(value)) else []
    broken = _BLOCK_TAG.sub("\n", html.unescape(value))
    return [line for part in broken.splitlines() if (line := clean_text(part))]


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def first_text(value: Any, depth: int = 0) -> str:
    """The first non-empty text in a value that may be a list or a named object."""
    if isinstance(value, list | tuple) and depth < MAX_DEPTH:
        return next((text for item in value if (text := first_text(item, depth + 1))), "")
    if isinstance(value, Mapping) and depth < MAX_DEPTH:
        for key in ("name", "text", "@value", "value"):
            if text := first_text(value.get(key), depth + 1):
                return text
        return ""
    return clean_text(value)


def types_of(node: Mapping[str, Any]) -> set[str]:
    """The node's @type names without their vocabulary prefix ("schema:Recipe" is "Recipe")."""
    declared = node.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {re.split(r"[/:#]", name)[-1] for name in names if isinstance(name, str)}


def parse_minutes(value: Any, depth: int = 0) -> int | None:
    """Minutes of an ISO 8601 duration ("PT1H30M"), a spoken one ("1 hr 5 mins") or a number."""
    minutes: float | None = None
    if isinstance(value, bool) or value is None or depth > MAX_DEPTH:
        return None
    if isinstance(value, int | float | Decimal):
        try:
            minutes = float(value)
        except (OverflowError, ValueError):
            return None
    elif isinstance(value, list | tuple):
        return next((m for item in value if (m := parse_minutes(item, depth + 1))), None)
    elif isinstance(value, Mapping):
        return parse_minutes(value.get("maxValue") or value.get("value"), depth + 1)
    elif isinstance(value, str):
        minutes = _minutes_of_text(clean_text(value))
    if minutes is None or not math.isfinite(minutes) or minutes <= 0:
        return None
    rounded = math.ceil(minutes - 1e-9)
    return rounded if rounded <= MAX_MINUTES else None


def _minutes_of_text(text: str) -> float | None:
    text = text.replace(" ", "") if text.startswith(("P", "p")) else text
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return float(text.replace(",", "."))
    iso = _ISO_DURATION.fullmatch(text)
    if iso and any(iso.groups()):
        parts = zip(iso.groups(), _ISO_MINUTES, strict=True)
        return sum(float(amount.replace(",", ".")) * factor for amount, factor in parts if amount)
    if clock := _CLOCK_DURATION.fullmatch(text):
        return int(clock[1]) * 60 + int(clock[2])
    total = 0.0
    for match in _SPOKEN_DURATION.finditer(text):
        amount, unit = float(match["amount"].replace(",", ".")), match["unit"].lower()
        if unit.startswith("d"):
            total += amount * 1440
        elif unit.startswith(("h", "std", "ora", "ore", "tim")):
            total += amount * 60
        elif unit.startswith("s"):
            total += amount / 60
        else:
            total += amount
    return total or None


def parse_number(text: str) -> Decimal | None:
    """The first number in a text: "4", "2.5", "1 1/2", "1½", "½"."""
    match = _NUMBER.search(text)
    if match is None:
        return None
    if match["mixed"] is not None:
        if int(match["mden"]) == 0:
            return None
        return Decimal(match["mixed"]) + Decimal(match["mnum"]) / Decimal(match["mden"])
    if match["num"] is not None:
        return Decimal(match["num"]) / Decimal(match["den"]) if int(match["den"]) else None
    if match["vulgar"] is not None:
        whole = Decimal(match["vwhole"] or 0)
        return whole + Decimal(str(round(unicodedata.numeric(match["vulgar"]), 4)))
    return Decimal(match["dec"].replace(",", "."))


def parse_yield(value: Any) -> tuple[Decimal | None, str | None]:
    """Servings and the yield as written, from "4 servings", "Makes 24 cookies", ["4", "4 pies"]."""
    items = value if isinstance(value, list | tuple) else [value]
    texts = [text for item in items if (text := first_text(item))]
    servings = None
    for text in texts:
        number = parse_number(text)
        rounded = number.quantize(Decimal("0.001")) if number is not None else Decimal(0)
        if 0 < rounded <= 10_000:
            integral = rounded.to_integral_value()
            servings = integral if integral == rounded else rounded.normalize()
            break
    described = next((text for text in texts if re.search(r"[^\W\d_]", text)), None)
    return servings, (clip(described, 100) if described else None)


def steps_from(value: Any) -> list[StepIn]:
    """Steps from recipeInstructions: text, lines, HowToStep, HowToSection (its name kept)."""
    steps = []
    for section, text, timer in _walk_instructions(value, None, 0):
        steps.append(
            StepIn(
                text=clip(text, 5000),
                section=clip(section, 100) if section else None,
                timer_minutes=timer if timer and timer <= MAX_TIMER_MINUTES else None,
            )
        )
        if len(steps) == MAX_STEPS:
            break
    return steps


def _walk_instructions(
    value: Any, section: str | None, depth: int
) -> Iterator[tuple[str | None, str, int | None]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list | tuple):
        for item in value:
            yield from _walk_instructions(item, section, depth + 1)
    elif isinstance(value, Mapping):
        text, name = value.get("text"), clean_text(value.get("name"))
        children = value.get("itemListElement")
        if "HowToSection" in types_of(value) or (children and not text):
            yield from _walk_instructions(children, name or section, depth + 1)
        elif isinstance(text, list | Mapping):
            yield from _walk_instructions(text, section, depth + 1)
        else:
            timer = parse_minutes(value.get("timeRequired") or value.get("performTime"))
            body = clean_text(text)
            if name and body and not body.startswith(name.rstrip(".")):
                yield section, name, None
            if body or name:
                yield section, body or name, timer
    elif depth == 0:
        for line in text_lines(value):
            yield section, line, None
    elif line := clean_text(value):
        yield section, line, None


def ingredient_lines(value: Any, depth: int = 0) -> list[str]:
    """recipeIngredient as plain lines: strings, nested lists or PropertyValue objects."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(value, list | tuple):
        return [line for item in value for line in ingredient_lines(item, depth + 1)]
    if isinstance(value, Mapping):
        if "PropertyValue" in types_of(value):
            parts = (value.get("value"), value.get("unitText") or value.get("unitCode"))
            words = [clean_text(part) for part in (*parts, value.get("name"))]
            return [line] if (line := " ".join(word for word in words if word)) else []
        return [line] if (line := first_text(value)) else []
    if depth == 0:
        return text_lines(value)
    return [line] if (line := clean_text(value)) else []


def grouped_ingredients(groups: Iterable[tuple[str | None, Any]]) -> list[IngredientIn]:
    """Ingredient lines of each (section name, lines) group, the section kept on every line."""
    ingredients: list[IngredientIn] = []
    for section, lines in groups:
        name = clip(clean_text(section), 100) or None
        for line in ingredient_lines(lines):
            ingredients.append(IngredientIn(text=clip(line, 500), section=name))
            if len(ingredients) == MAX_INGREDIENTS:
                return ingredients
    return ingredients


def names_from(value: Any, limit: int, *, split: bool = True) -> list[str]:
    """Names (tags, categories, tools) from a comma list or a list, deduplicated case-blind."""
    names: list[str] = []
    seen: set[str] = set()
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        text = first_text(item)
        for part in text.split(",") if split else [text]:
            name = clip(part.strip(), 100)
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                names.append(name)
                if len(names) == limit:
                    return names
    return names


def nutrition_from(value: Any) -> Nutrition | None:
    """NutritionInformation, each value kept as text ("240 kcal") within its bound."""
    if not isinstance(value, Mapping):
        return None
    fields = {
        field: clip(text, 50)
        for key, field in _NUTRITION_FIELDS.items()
        if (text := first_text(value.get(key)))
    }
    return Nutrition.model_validate(fields) if fields else None


def attribution_from(data: Mapping[str, Any], url: str | None) -> str | None:
    """ "Recipe by X, from Site", or whichever half is known; the site is the publisher's name,
    or else the address's host."""
    names = names_from(data.get("author") or data.get("creator"), 5, split=False)
    author = ", ".join(_BYLINE.sub("", name) for name in names)
    site = first_text(data.get("publisher")) or first_text(data.get("sourceOrganization"))
    if not site and url and (host := urlsplit(url).hostname):
        site = host.removeprefix("www.")
    if author and site and author.casefold() != site.casefold():
        return clip(f"Recipe by {author}, from {site}", 500)
    if author:
        return clip(f"Recipe by {author}", 500)
    return clip(f"Recipe from {site}", 500) if site else None


def images_from(value: Any, base_url: str | None, limit: int = MAX_IMAGES) -> list[ImageSource]:
    """Image addresses (strings, ImageObjects, lists), made absolute against the page."""
    found: list[str] = []
    for candidate in _image_urls(value, 0):
        address = urljoin(base_url, candidate) if base_url else candidate
        if address.startswith("//"):
            address = "https:" + address
        if _is_web_address(address) and address not in found:
            found.append(address)
    return [ImageSource(url=address) for address in found[:limit]]


def _image_urls(value: Any, depth: int) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str) and value.strip():
        yield html.unescape(value.strip())
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _image_urls(item, depth + 1)
    elif isinstance(value, Mapping):
        yield from _image_urls(value.get("url") or value.get("contentUrl"), depth + 1)


def _is_web_address(address: str) -> bool:
    return address.lower().startswith(("http://", "https://")) and len(address) <= 2048


def source_url_from(data: Mapping[str, Any], url: str | None) -> str | None:
    """The given address, or else the recipe's own url, when it is an absolute web address."""
    own = data.get("url")
    for candidate in (url, own if isinstance(own, str) else None):
        if candidate and _is_web_address(candidate.strip()):
            return candidate.strip()
    return None


def recipe_from_schema(
    data: Mapping[str, Any], *, url: str | None = None, source_format: str = "schema.org"
) -> ImportedRecipe:
    """A schema.org Recipe object (a JSON-LD or microdata node) as a recipe ready to create.

    `url` is the address the recipe was read from: its source, and the base for relative
    image addresses. Raises `NoRecipeFound` when the object has no name, ingredient or step.
    """
    ingredients = grouped_ingredients(
        [(None, data.get("recipeIngredient") or data.get("ingredients"))]
    )
    steps = steps_from(data.get("recipeInstructions") or data.get("instructions"))
    title = first_text(data.get("name")) or first_text(data.get("headline"))
    if not (title or ingredients or steps):
        raise NoRecipeFound()
    servings, yield_text = parse_yield(data.get("recipeYield") or data.get("yield"))
    prep, cook = parse_minutes(data.get("prepTime")), parse_minutes(data.get("cookTime"))
    # Without a totalTime the recipe's total is left out: it is then preparation plus cooking,
    # and keeps following them when they are edited.
    total = parse_minutes(data.get("totalTime"))
    description = first_text(data.get("description"))
    fields: dict[str, Any] = {
        "title": clip(title, 200) if title else UNTITLED,
        "description": clip(description, 5000) if description else None,
        "servings": servings,
        "yield_text": yield_text,
        "prep_minutes": prep,
        "cook_minutes": cook,
        "total_minutes": total,
        "nutrition": nutrition_from(data.get("nutrition")),
        "source_url": source_url_from(data, url),
        "attribution": attribution_from(data, url),
        "tags": names_from(
            [*as_list(data.get("keywords")), *as_list(data.get("recipeCuisine"))], MAX_TAGS
        ),
        "categories": names_from(data.get("recipeCategory"), 20),
        "tools": names_from(data.get("tool"), 30, split=False),
        "ingredients": ingredients,
        "steps": steps,
    }
    try:
        recipe = RecipeCreate.model_validate(fields)
    except ValidationError as error:
        raise SourceRejected("the recipe on this page has values that cannot be used") from error
    base = fields["source_url"] or url
    return ImportedRecipe(
        recipe=recipe, images=images_from(data.get("image"), base), source_format=source_format
    )


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
