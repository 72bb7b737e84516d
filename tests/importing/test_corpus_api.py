"""The whole import pipeline over the saved recipe pages: each page goes through
`POST /api/v1/imports/html` with its address, and the recipe that comes back (parsed,
validated, stored, read back) is compared as `tests/importing/fidelity.py` documents."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.importing.draft import ImportedRecipe
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, StepIn
from tests.importing import fidelity
from tests.support.world import bearer, make_user

TARGET = 0.95


def as_imported(read: dict[str, Any]) -> ImportedRecipe:
    """The stored recipe in the shape the comparison reads."""
    return ImportedRecipe(
        recipe=RecipeCreate(
            title=read["title"],
            ingredients=[
                IngredientIn(text=line["text"], section=line["section"])
                for line in read["ingredients"]
            ],
            steps=[StepIn(text=step["text"], section=step["section"]) for step in read["steps"]],
        )
    )


async def test_imported_pages_match_the_expected_recipes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = bearer(await make_user(session, settings), settings, session)
    await session.commit()
    outcomes = []
    for case in fidelity.load_cases():
        answer = await client.post(
            "/api/v1/imports/html",
            json={"html": case.page.read_text(encoding="utf-8"), "url": case.url},
            headers=headers,
        )
        assert answer.status_code == 201, f"{case.name}: {answer.text[:300]}"
        stored = as_imported(answer.json()["recipes"][0])
        outcomes.append(fidelity.compare(case, lambda html, url, stored=stored: [stored]))
    summary = fidelity.Summary(outcomes)
    assert len(outcomes) >= 50
    for field in fidelity.FIELDS:
        misses = [fidelity.describe_miss(miss, field) for miss in summary.misses(field)]
        assert summary.rate(field) >= TARGET, (
            f"{field}: {summary.matched(field)}/{len(outcomes)}; misses:\n" + "\n".join(misses)
        )
