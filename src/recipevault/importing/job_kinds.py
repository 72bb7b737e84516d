"""The kinds of import job, and how the job pages show them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.jobs.kinds import JobKind, Link, Noun, register
from recipevault.recipes import documents

IMPORT_URLS = "import_urls"
IMPORT_FILE = "import_file"

RECIPES = Noun("recipe", "recipes")
FILE_FORMATS = {
    "mealie": "Mealie",
    "nextcloud": "Nextcloud Cookbook",
    "paprika": "Paprika",
    "recipevault": "RecipeVault",
    "schema.org": "schema.org",
    "tandoor": "Tandoor",
}


async def recipe_links(session: AsyncSession, recipe_ids: Sequence[int]) -> dict[int, Link]:
    """The pages of the recipes an import made or updated (its owner's: the job pages show a
    job only to its owner and to admins)."""
    links = {}
    for raw in await documents.fetch_summaries(session, recipe_ids):
        summary = orjson.loads(raw)
        links[int(summary["id"])] = Link(f"/recipes/{summary['slug']}", summary["title"])
    return links


def _urls_title(payload: Mapping[str, Any]) -> str:
    urls = payload.get("urls") or []
    if len(urls) == 1:
        return f"Import of {urls[0]}"
    return f"Import of {Noun('web address', 'web addresses').count(len(urls))}"


def _summary(result: Mapping[str, Any], failed_noun: Noun) -> str:
    text = f"{RECIPES.count(int(result.get('imported') or 0))} imported"
    file_format = result.get("format")
    if file_format:
        text += f" from a {FILE_FORMATS.get(file_format, file_format)} file"
    text += "."
    failed = int(result.get("failed") or 0)
    if failed:
        text += f" {failed_noun.count(failed)} could not be imported."
    return text


_MORE = Link("/import", "Import more recipes")

register(
    JobKind(
        name=IMPORT_URLS,
        title=_urls_title,
        summary=lambda result: _summary(result, Noun("web address", "web addresses")),
        imports=True,
        item_heading="Address",
        links=recipe_links,
        again=_MORE,
    ),
    JobKind(
        name=IMPORT_FILE,
        title=lambda payload: f"Import of the file {payload.get('file_name') or 'upload'}",
        summary=lambda result: _summary(result, RECIPES),
        imports=True,
        links=recipe_links,
        again=_MORE,
    ),
)
