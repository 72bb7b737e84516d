"""Full-text search: an FTS5 table on SQLite; a weighted tsvector with a GIN index plus
trigram matching on titles (for typos) on PostgreSQL. Both answer the same question, "which
recipes match these words, best first", as a (recipe_id, rank) subquery, lower rank first.

The search tables are not ORM models: the migrations create them per database, and only this
module touches them. Indexing happens with every document rebuild, in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Float, Integer, bindparam, column, text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.recipes.models import Recipe

MAX_TERMS = 12
_WORD = re.compile(r"\w+", re.UNICODE)
# bm25 weights for title, description, foods, steps: a title hit outranks a step hit.
_FTS5_WEIGHTS = "10.0, 2.0, 5.0, 1.0"


def terms(query: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(query)][:MAX_TERMS]


def _parts(recipe: Recipe) -> dict[str, Any]:
    foods = " ".join(line.food.name for line in recipe.ingredients if line.food is not None)
    return {
        "id": recipe.id,
        "title": recipe.title,
        "description": recipe.description or "",
        "foods": foods,
        "steps": " ".join(step.text for step in recipe.steps),
    }


async def index_recipes(session: AsyncSession, recipes: Sequence[Recipe]) -> None:
    if not recipes:
        return
    rows = [_parts(recipe) for recipe in recipes]
    ids = [row["id"] for row in rows]
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "INSERT INTO recipe_search (recipe_id, document) VALUES (:id, "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :foods), 'B') || "
                "setweight(to_tsvector('english', :description), 'C') || "
                "setweight(to_tsvector('english', :steps), 'D')) "
                "ON CONFLICT (recipe_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            rows,
        )
        return
    await session.execute(
        text("DELETE FROM recipe_search WHERE rowid IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    await session.execute(
        text(
            "INSERT INTO recipe_search (rowid, title, description, foods, steps) "
            "VALUES (:id, :title, :description, :foods, :steps)"
        ),
        rows,
    )


async def unindex_recipes(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    if not recipe_ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        statement = "DELETE FROM recipe_search WHERE recipe_id IN :ids"
    else:
        statement = "DELETE FROM recipe_search WHERE rowid IN :ids"
    await session.execute(
        text(statement).bindparams(bindparam("ids", expanding=True)), {"ids": list(recipe_ids)}
    )


def match_parameters(dialect: str, query: str) -> dict[str, str] | None:
    """Bind values for ``matches(dialect)``, or None when the query has no words."""
    words = terms(query)
    if not words:
        return None
    if dialect == "postgresql":
        return {"tsquery": " & ".join(f"{word}:*" for word in words), "raw": " ".join(words)}
    # Each word as a quoted prefix: user input never reaches FTS5's query syntax.
    return {"fts": " ".join(f'"{word}"*' for word in words)}


@cache
def matches(dialect: str) -> Any:
    """A subquery of (recipe_id, rank), lower rank first, bound by ``match_parameters``."""
    if dialect == "postgresql":
        # Two lookups, each on its own GIN index, rather than one OR that scans every row:
        # word matches ranked by ts_rank_cd, and titles close to the query (typos) by trigram
        # similarity; a recipe found both ways keeps its better rank.
        statement = text(
            "SELECT recipe_id, MIN(rank) AS rank FROM ("
            "SELECT s.recipe_id, -ts_rank_cd(s.document, q.query) - 1 AS rank "
            "FROM recipe_search s, to_tsquery('english', :tsquery) AS q(query) "
            "WHERE s.document @@ q.query "
            "UNION ALL "
            "SELECT r.id, -similarity(r.title, :raw) AS rank FROM recipes r WHERE r.title % :raw"
            ") AS found GROUP BY recipe_id"
        )
    else:
        statement = text(
            f"SELECT rowid AS recipe_id, bm25(recipe_search, {_FTS5_WEIGHTS}) AS rank "  # noqa: S608
            "FROM recipe_search WHERE recipe_search MATCH :fts"
        )
    return statement.columns(column("recipe_id", Integer), column("rank", Float)).subquery(
        "matches"
    )
