"""How faithfully web page extraction reproduces the corpus' expected values.

Each case of `corpus/recipe-pages` is a saved page and the values recipe-scrapers' site-specific
scraper gives for it. The page is read with `extract_recipes(html, url=...)`, the address being
the expected `canonical_url` (made absolute against the expected `host` where the saved value
is a path or a bare host name), and the first recipe returned is compared with the expected
values, field by field, after both sides are normalised the same way:

1. Text: HTML entities unescaped (repeatedly), Unicode NFKC (so a vulgar fraction and its
   NFKC form compare equal, and so do a no-break space and a space), whitespace runs collapsed
   to one space, ends stripped.
2. Lists: empty lines dropped, and section headings dropped. A heading is a line equal to the
   name of one of the extracted recipe's ingredient or step sections, or to the purpose of one
   of the expected ingredient groups: the expected lists keep schema.org section names as lines
   of their own, where an extracted recipe keeps them on its lines' `section`.

A field matches when the normalised values are equal: the title as a string, the ingredients
and the instructions as ordered lists. Everything else counts as a miss.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from recipevault.importing.draft import ImportedRecipe
from recipevault.importing.extract import extract_recipes

CORPUS = Path(__file__).resolve().parent / "corpus" / "recipe-pages"
FIELDS = ("title", "ingredients", "instructions")

Extractor = Callable[..., list[ImportedRecipe]]


@dataclass(frozen=True)
class Case:
    """One saved page and the values expected from it."""

    name: str
    page: Path
    expected: dict[str, Any]

    @property
    def url(self) -> str:
        canonical = str(self.expected.get("canonical_url") or "")
        if canonical.startswith(("http://", "https://")):
            return canonical
        host = str(self.expected.get("host") or "")
        if canonical.removeprefix("www.") == host.removeprefix("www."):
            canonical = ""
        return urljoin(f"https://{host}/", canonical)


@dataclass
class Outcome:
    """How one case compared: per field, whether it matched, and both sides when it did not."""

    case: Case
    matches: dict[str, bool] = field(default_factory=dict)
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Summary:
    outcomes: list[Outcome]

    def matched(self, name: str) -> int:
        return sum(outcome.matches.get(name, False) for outcome in self.outcomes)

    def rate(self, name: str) -> float:
        return self.matched(name) / len(self.outcomes) if self.outcomes else 0.0

    def misses(self, name: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.matches.get(name, False)]


def load_cases(root: Path = CORPUS) -> list[Case]:
    """Every `<host>/<name>.testhtml` with its `<name>.json`, in a stable order."""
    cases = []
    for page in sorted(root.glob("*/*.testhtml")):
        expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        cases.append(Case(name=f"{page.parent.name}/{page.stem}", page=page, expected=expected))
    return cases


def normalise(text: Any) -> str:
    """Text as compared: entities unescaped, NFKC, whitespace collapsed and stripped."""
    value = str(text or "")
    for _ in range(3):
        value = html.unescape(value)
    value = unicodedata.normalize("NFKC", value).replace("\u200b", "")
    return re.sub(r"\s+", " ", value).strip()


def normalise_lines(lines: Iterable[Any], headings: set[str]) -> list[str]:
    """Lines as compared: each normalised, empty ones and section headings dropped."""
    return [line for raw in lines if (line := normalise(raw)) and line not in headings]


def headings_of(recipe: ImportedRecipe, expected: dict[str, Any]) -> set[str]:
    names = [ingredient.section for ingredient in recipe.recipe.ingredients]
    names += [step.section for step in recipe.recipe.steps]
    names += [group.get("purpose") for group in expected.get("ingredient_groups") or []]
    return {normalise(name) for name in names if name}


def compare(case: Case, extract: Extractor = extract_recipes) -> Outcome:
    """Extract the case's page and compare the first recipe with the expected values."""
    outcome = Outcome(case=case)
    try:
        recipes = extract(case.page.read_text(encoding="utf-8"), url=case.url)
    except Exception as error:
        outcome.error = f"{type(error).__name__}: {error}"
        outcome.matches = dict.fromkeys(FIELDS, False)
        return outcome
    recipe, expected = recipes[0], case.expected
    headings = headings_of(recipe, expected)
    sides = {
        "title": (normalise(recipe.recipe.title), normalise(expected.get("title"))),
        "ingredients": (
            normalise_lines((i.text for i in recipe.recipe.ingredients), headings),
            normalise_lines(expected.get("ingredients") or [], headings),
        ),
        "instructions": (
            normalise_lines((step.text for step in recipe.recipe.steps), headings),
            normalise_lines(expected.get("instructions_list") or [], headings),
        ),
    }
    for name, (got, wanted) in sides.items():
        outcome.matches[name] = got == wanted
        if got != wanted:
            outcome.differences[name] = (got, wanted)
    return outcome


def run(cases: Sequence[Case] | None = None, extract: Extractor = extract_recipes) -> Summary:
    return Summary([compare(case, extract) for case in cases or load_cases()])


def describe_miss(outcome: Outcome, name: str) -> str:
    """One line saying where a field went wrong: the first differing line, or the error."""
    if outcome.error:
        return f"{outcome.case.name}: {outcome.error}"
    got, wanted = outcome.differences[name]
    if isinstance(got, list) and isinstance(wanted, list):
        index = next(
            (i for i, pair in enumerate(zip(got, wanted, strict=False)) if pair[0] != pair[1]), None
        )
        if index is None:
            return f"{outcome.case.name}: {len(got)} lines, expected {len(wanted)}"
        return f"{outcome.case.name}: line {index + 1}: {got[index]!r} != {wanted[index]!r}"
    return f"{outcome.case.name}: {got!r} != {wanted!r}"
