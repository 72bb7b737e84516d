"""Extraction over the saved recipe pages, compared as `tests/importing/fidelity.py` documents.

Each page is a test of its own that fails only when extraction fails outright; a field that
does not match is a miss, and the misses are judged together: at least 95% of the pages must
match on each compared field, both with recipe-scrapers and from the schema.org data alone.
"""

from __future__ import annotations

from functools import cache

import pytest

from recipevault.importing.extract import extract_recipes, extract_schema_recipes
from tests.importing import fidelity

CASES = {case.name: case for case in fidelity.load_cases()}
TARGET = 0.95


@cache
def outcome(name: str, schema_only: bool) -> fidelity.Outcome:
    return fidelity.compare(CASES[name], extract_schema_recipes if schema_only else extract_recipes)


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_page_gives_a_recipe(name: str) -> None:
    assert outcome(name, False).error is None


@pytest.mark.parametrize("schema_only", [False, True], ids=["with-scrapers", "schema-only"])
@pytest.mark.parametrize("field", fidelity.FIELDS)
def test_most_pages_match_on_each_field(field: str, schema_only: bool) -> None:
    summary = fidelity.Summary([outcome(name, schema_only) for name in sorted(CASES)])
    misses = [fidelity.describe_miss(miss, field) for miss in summary.misses(field)]
    assert summary.rate(field) >= TARGET, (
        f"{field}: {summary.matched(field)}/{len(CASES)} match; misses:\n" + "\n".join(misses)
    )
